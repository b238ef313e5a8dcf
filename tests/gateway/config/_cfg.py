"""Fixtures of the configuration specs (issue 14): a login role and a schema of their own.

The in-database specs change `ALTER ROLE … SET pgrst.*` of the login role, so they use
`gw_cfg_auth` (granted the gw_ request roles) instead of the suite's gw_authenticator, and
expose schema `cfg` (created here, dropped at the end) so that no other spec's gateway or
OpenAPI document sees their objects. `running(...)` starts a gateway for one test and
stops it, since the role's settings differ from test to test.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest
import requests
from psycopg import sql

from taproot.database import Database
from tests.gateway.conftest import (
    ANON_ROLE,
    DB_NAME,
    JWT_SECRET,
    Gateway,
    _build_app,
    _ServerThread,
    socket_url,
)

Conn = psycopg.Connection[tuple[Any, ...]]
ROLE = "gw_cfg_auth"
SCHEMA_SQL = """
DO $$ BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'gw_cfg_auth') THEN
        CREATE ROLE gw_cfg_auth LOGIN NOINHERIT;
    END IF;
END $$;
GRANT gw_anon, gw_user TO gw_cfg_auth;
-- a request role of these specs alone: its own isolation level (ALTER ROLE … SET)
DO $$ BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'gw_cfg_reader') THEN
        CREATE ROLE gw_cfg_reader NOLOGIN;
    END IF;
END $$;
GRANT gw_cfg_reader TO gw_cfg_auth;
ALTER ROLE gw_cfg_reader SET default_transaction_isolation = 'repeatable read';
DROP SCHEMA IF EXISTS cfg CASCADE;
CREATE SCHEMA cfg;
GRANT USAGE ON SCHEMA cfg TO gw_anon, gw_user, gw_cfg_auth, gw_cfg_reader;
CREATE TABLE cfg.rows (id integer PRIMARY KEY);
INSERT INTO cfg.rows SELECT generate_series(1, 5);
GRANT SELECT ON cfg.rows TO gw_anon, gw_user, gw_cfg_reader;

-- db-root-spec
CREATE FUNCTION cfg.root() RETURNS json LANGUAGE sql STABLE
AS $f$ SELECT '{"swagger": "2.0", "info": {"title": "Custom root"}}'::json $f$;

-- db-pre-request: the transaction's settings as response headers, to see what was hoisted
CREATE FUNCTION cfg.pre() RETURNS void LANGUAGE sql AS $f$
    SELECT set_config('response.headers', json_build_array(
        json_build_object('X-Timeout', current_setting('statement_timeout')),
        json_build_object('X-Lock-Timeout', current_setting('lock_timeout')),
        json_build_object('X-Isolation', current_setting('transaction_isolation')),
        json_build_object('X-Greeting',
                          coalesce(current_setting('app.settings.greeting', true), '-')),
        json_build_object('X-Shout', coalesce(current_setting('app.settings.SHOUT', true), '-'))
    )::text, true)
$f$;
CREATE FUNCTION cfg.tuned() RETURNS integer LANGUAGE sql
    SET statement_timeout = '4s' SET lock_timeout = '3s'
    SET default_transaction_isolation = 'serializable'
AS $f$ SELECT 1 $f$;
-- its own SET cannot bound the statement that calls it: only hoisting can
CREATE FUNCTION cfg.slow() RETURNS integer LANGUAGE sql SET statement_timeout = '100ms'
AS $f$ SELECT 1 FROM pg_sleep(1) $f$;

-- db-pre-config
CREATE FUNCTION cfg.pre_config() RETURNS void LANGUAGE sql AS $f$
    SELECT set_config('pgrst.db_max_rows', '4', true)
$f$;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA cfg TO gw_anon, gw_user, gw_cfg_auth, gw_cfg_reader;
"""


@pytest.fixture(scope="module")
def cfg_db(spec_db: Database) -> Iterator[Database]:
    """Schema cfg and role gw_cfg_auth in the fixture database; the role reset afterwards."""
    with spec_db.connect() as conn:
        conn.execute(SCHEMA_SQL)
    yield spec_db
    with spec_db.connect() as conn:
        reset_role(conn)
        conn.execute("DROP SCHEMA cfg CASCADE")
        conn.execute("ALTER ROLE gw_cfg_reader RESET ALL")


def reset_role(conn: Conn) -> None:
    conn.execute(sql.SQL("ALTER ROLE {} RESET ALL").format(sql.Identifier(ROLE)))
    conn.execute(
        sql.SQL("ALTER ROLE {} IN DATABASE {} RESET ALL").format(
            sql.Identifier(ROLE), sql.Identifier(DB_NAME)
        )
    )


@pytest.fixture
def role_conn(cfg_db: Database) -> Iterator[Conn]:
    """A superuser connection; gw_cfg_auth's settings are reset after the test."""
    with cfg_db.connect() as conn:
        reset_role(conn)
        yield conn
        reset_role(conn)


def set_role(conn: Conn, name: str, value: str, *, in_database: bool = False) -> None:
    """ALTER ROLE gw_cfg_auth [IN DATABASE gateway_spec] SET <name> = <value>."""
    where: sql.Composable = sql.SQL("")
    if in_database:
        where = sql.SQL(" IN DATABASE {}").format(sql.Identifier(DB_NAME))
    conn.execute(
        sql.SQL("ALTER ROLE {}{} SET {} = {}").format(
            sql.Identifier(ROLE), where, sql.Identifier(*name.split(".")), sql.Literal(value)
        )
    )


def settings(db: Database, **overrides: str | None) -> dict[str, str]:
    """PGRST_* of a gateway logging in as gw_cfg_auth and exposing schema cfg."""
    out = {
        "PGRST_DB_URI": socket_url(db, user=ROLE, dbname=DB_NAME),
        "PGRST_DB_SCHEMAS": "cfg",
        "PGRST_DB_ANON_ROLE": ANON_ROLE,
        "PGRST_JWT_SECRET": JWT_SECRET,
    }
    for key, value in overrides.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = value
    return out


@dataclass
class CfgGateway(Gateway):
    """A running gateway and its app (the admin server's bound port is `app.admin.port`)."""

    app: Any = None

    def admin(self, path: str) -> requests.Response:
        return requests.get(f"http://127.0.0.1:{self.app.admin.port}{path}", timeout=10)


@contextlib.contextmanager
def running(env: dict[str, str]) -> Iterator[CfgGateway]:
    """A gateway with `env` for the duration of the block (in this process, a thread)."""
    app = _build_app(env)
    server = _ServerThread(app)
    server.start()
    gateway = CfgGateway(f"http://127.0.0.1:{server.port}", app=app)
    try:
        yield gateway
    finally:
        gateway.session.close()
        server.stop()


def eventually(probe: Callable[[], Any], want: Any, within: float = 10.0) -> Any:
    """Poll `probe` until it returns `want` (or time runs out); returns the last value."""
    deadline = time.monotonic() + within
    while True:
        got = probe()
        if got == want or time.monotonic() > deadline:
            return got
        time.sleep(0.1)


def row_count(gateway: Gateway) -> int:
    resp: requests.Response = gateway.get("/rows?select=id")
    assert resp.status_code == 200, resp.text
    return len(resp.json())

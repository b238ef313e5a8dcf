"""The database going away while the gateway runs: 503 with PostgREST's connection
errors (PGRST000/PGRST001, or 57P01 mapped to 503), then recovery without a restart.

Uses its own copy of the fixture database so the shared one is never disturbed.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from psycopg import sql

from taproot.database import Database
from tests.gateway.conftest import Gateway, GatewayFactory, build_fixture_db, socket_url
from tests.gateway.spec._http import assert_json, body_json, ids

FLAKY = "gateway_spec_flaky"
CONNECTION_ERRORS = {
    "PGRST000": "Database connection error. Retrying the connection.",
    "PGRST001": "Database client error. Retrying the connection.",
    "PGRST002": "Could not query the database for the schema cache. Retrying.",
}


def set_connections(server: Database, *, allowed: bool) -> None:
    with server.connect() as conn:
        conn.execute(
            sql.SQL("ALTER DATABASE {} WITH ALLOW_CONNECTIONS {}").format(
                sql.Identifier(FLAKY), sql.Literal(allowed)
            )
        )
        if not allowed:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                (FLAKY,),
            )
            # pg_terminate_backend only signals: wait until the backends are really gone.
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                row = conn.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = %s", (FLAKY,)
                ).fetchone()
                if row == (0,):
                    break
                time.sleep(0.05)


@pytest.fixture(scope="module")
def flaky(pg_server: Database, start_gateway: GatewayFactory) -> Iterator[tuple[Gateway, Database]]:
    db = build_fixture_db(pg_server, FLAKY)
    gw = start_gateway(PGRST_DB_URI=socket_url(db, user="gw_authenticator", dbname=FLAKY))
    yield gw, pg_server
    set_connections(pg_server, allowed=True)
    pg_server.drop(FLAKY)


def test_503_while_the_database_is_gone_then_recovery(flaky: tuple[Gateway, Database]) -> None:
    gw, server = flaky
    assert_json(gw.get("/items?id=eq.1"), 200, ids(1))

    set_connections(server, allowed=False)
    try:
        statuses = []
        for _ in range(3):
            resp = gw.get("/items?id=eq.1")
            statuses.append(resp.status_code)
            body = body_json(resp)
            assert set(body) == {"code", "message", "details", "hint"}, body
            assert resp.status_code == 503, body
            if body["code"] in CONNECTION_ERRORS:
                assert body["message"] == CONNECTION_ERRORS[body["code"]]
            else:
                assert body["code"] == "57P01", body
        ready = gw.get("/ready")
        assert ready.status_code == 503
        assert body_json(ready)["database"] == "unavailable"
    finally:
        set_connections(server, allowed=True)

    # PostgREST's pool opens a fresh connection on demand; allow for a reconnect backoff.
    deadline = time.monotonic() + 45
    while True:
        resp = gw.get("/items?id=eq.1")
        if resp.status_code == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.25)
    assert_json(resp, 200, ids(1))

"""The impersonated role's own settings (ALTER ROLE … SET) hold in its transactions, as in
PostgREST: a request as anon runs under anon's statement_timeout, not authenticator's."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
from psycopg import sql

from gateway.config import load
from gateway.tx import Context
from gateway.tx import Database as GatewayDatabase
from taproot.database import Database
from tests.conftest import AUTHENTICATOR_PASSWORD


def _login_url(db: Database) -> str:
    from tests.stack import login_url

    return login_url(db, "authenticator", AUTHENTICATOR_PASSWORD)


def _context(role: str) -> Context:
    return Context(role, "{}", "GET", "/", "{}", "{}", authenticated=False, read_only=True)


async def _timeouts(db: Database) -> dict[str, Any]:
    config = load({"PGRST_DB_URI": _login_url(db), "PGRST_DB_SCHEMAS": "api"})
    gateway = GatewayDatabase(config)
    await gateway.start()

    async def setting(conn: asyncpg.Connection) -> Any:
        return await conn.fetchval("SELECT current_setting('statement_timeout')")

    try:
        return {
            role: await gateway.transaction(_context(role), "api", setting)
            for role in ("anon", "authenticated", "service_role")
        }
    finally:
        await gateway.close()


def test_role_settings_apply_in_the_requests_transaction(app_db: Database) -> None:
    with app_db.connect() as conn:
        for role, value in (("anon", "5s"), ("authenticated", "10s")):
            conn.execute(
                sql.SQL("ALTER ROLE {} IN DATABASE {} SET statement_timeout = {}").format(
                    sql.Identifier(role), sql.Identifier(app_db.name), sql.Literal(value)
                )
            )
        # the gateway owns search_path: a role's own is never taken
        conn.execute(
            sql.SQL("ALTER ROLE service_role IN DATABASE {} SET search_path = pg_catalog").format(
                sql.Identifier(app_db.name)
            )
        )
    try:
        found = asyncio.run(_timeouts(app_db))
    finally:
        with app_db.connect() as conn:
            for role in ("anon", "authenticated", "service_role"):
                conn.execute(
                    sql.SQL("ALTER ROLE {} IN DATABASE {} RESET ALL").format(
                        sql.Identifier(role), sql.Identifier(app_db.name)
                    )
                )
    # anon and authenticated carry their own; service_role has none: authenticator's 15 s
    assert found == {"anon": "5s", "authenticated": "10s", "service_role": "15s"}

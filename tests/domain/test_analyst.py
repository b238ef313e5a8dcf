"""A real analyst login: read-only sessions with a timeout, reporting views only, masked
emails. (pgTAP switches roles with SET ROLE, which does not apply a role's settings.)"""

from __future__ import annotations

import re

import psycopg
import pytest

from taproot.database import Database
from taproot.provision import seed


def _connect_as(db: Database, user: str) -> psycopg.Connection[tuple[object, ...]]:
    parts = psycopg.conninfo.conninfo_to_dict(db.url)
    parts["user"] = user
    conninfo = psycopg.conninfo.make_conninfo(
        **{k: str(v) for k, v in parts.items() if v is not None}
    )
    return psycopg.connect(conninfo, autocommit=True)


def _one(conn: psycopg.Connection[tuple[object, ...]], query: str) -> object:
    row = conn.execute(query).fetchone()
    assert row is not None
    return row[0]


def test_analyst_sessions_are_read_only_with_a_timeout(app_db: Database) -> None:
    with _connect_as(app_db, "analyst") as conn:
        assert _one(conn, "SHOW transaction_read_only") == "on"
        assert _one(conn, "SHOW statement_timeout") == "30s"
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            conn.execute("CREATE TEMP TABLE scratch (x int)")


def test_analyst_reads_reporting_with_masked_emails(app_db: Database) -> None:
    seed(app_db)
    with _connect_as(app_db, "analyst") as conn:
        emails = [row[0] for row in conn.execute("SELECT email_masked FROM reporting.users")]
        assert len(emails) == 3
        assert all(re.fullmatch(r".\*\*\*@demo\.taproot\.dev", str(e)) for e in emails)
        usage = conn.execute(
            "SELECT requests, tokens_total FROM reporting.usage_by_workspace"
        ).fetchall()
        assert usage == [(1, 32)]


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * FROM api.users",
        "SELECT * FROM auth.credentials",
        "SELECT * FROM auth.jwt_secret",
        "SELECT auth.jwt_secret()",
        "SELECT * FROM app.provider_secrets",
        "SELECT * FROM app.events",
    ],
)
def test_analyst_cannot_reach_raw_data(app_db: Database, query: str) -> None:
    with (
        _connect_as(app_db, "analyst") as conn,
        pytest.raises(psycopg.errors.InsufficientPrivilege),
    ):
        conn.execute(query)

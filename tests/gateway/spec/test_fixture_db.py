"""The fixture database itself: loaded once, with the rows the specs are written against."""

from __future__ import annotations

from typing import Any

import psycopg


def test_fixture_rows_are_loaded(admin_conn: psycopg.Connection[tuple[Any, ...]]) -> None:
    counts = admin_conn.execute(
        "SELECT (SELECT count(*) FROM test.items), (SELECT count(*) FROM test.canary),"
        " (SELECT count(*) FROM v2.items)"
    ).fetchone()
    assert counts == (15, 1, 2)


def test_authenticator_can_switch_to_fixture_roles(
    admin_conn: psycopg.Connection[tuple[Any, ...]],
) -> None:
    rows = admin_conn.execute(
        "SELECT r.rolname FROM pg_auth_members m"
        " JOIN pg_roles r ON r.oid = m.roleid JOIN pg_roles u ON u.oid = m.member"
        " WHERE u.rolname = 'gw_authenticator' ORDER BY 1"
    ).fetchall()
    assert [r[0] for r in rows] == ["gw_admin", "gw_anon", "gw_user"]

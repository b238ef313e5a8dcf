"""Database.run: the caller's context and statements are one transaction without BEGIN/COMMIT.

A repeatable `run` sends the context and its statements in one pipeline ending in a Sync,
which PostgreSQL runs as one transaction: the statements see the caller's role and claims,
share one transaction id, and a failing statement undoes the others. The non-repeatable
path (the ledger insert) keeps its explicit transaction with a Sync after the context.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from sidecar.db import Database, Role
from sidecar.errors import SidecarError

from taproot.database import Database as Admin
from tests.sidecar.conftest import _authenticator_url

CLAIMS = {"role": "authenticated", "sub": str(uuid.uuid4())}


@pytest.fixture
def db(sidecar_db: Admin) -> Iterator[Database]:
    # one connection, so a later run sees what an earlier one left on the session
    database = Database(_authenticator_url(sidecar_db), size=1, timeout=5, secrets_key=None)
    database.pool.open(wait=True)
    try:
        yield database
    finally:
        database.close()


@pytest.mark.parametrize("repeatable", [True, False])
def test_context_and_statements_are_one_transaction(db: Database, repeatable: bool) -> None:
    role = Role("authenticated", CLAIMS)
    first, second = db.run(
        role,
        ("SELECT current_user AS who, txid_current() AS xid", {}),
        ("SELECT current_setting('request.jwt.claims') AS claims, txid_current() AS xid", {}),
        repeatable=repeatable,
    )
    assert first is not None and second is not None
    assert first["who"] == "authenticated"
    assert first["xid"] == second["xid"]
    assert CLAIMS["sub"] in second["claims"]
    (after,) = db.run(role, ("SELECT session_user AS who", {}))
    assert after is not None and after["who"] == "authenticator"


@pytest.mark.parametrize("repeatable", [True, False])
def test_a_failing_statement_undoes_the_others(db: Database, repeatable: bool) -> None:
    role = Role("authenticated", CLAIMS)
    marker = f"taproot.test_{uuid.uuid4().hex[:8]}"
    with pytest.raises(SidecarError):
        db.run(
            role,
            ("SELECT set_config(%(name)s, 'set', false)", {"name": marker}),  # session-wide
            ("SELECT 1 / 0", {}),
            repeatable=repeatable,
        )
    (row,) = db.run(role, ("SELECT current_setting(%(name)s, true) AS value", {"name": marker}))
    assert row is not None and not row["value"]  # rolled back with the transaction
    (row,) = db.run(role, ("SELECT current_user AS who", {}))
    assert row is not None and row["who"] == "authenticated"  # the connection is usable

"""`db-tx-end` and `Prefer: tx=commit|rollback`: the preference is honoured (and echoed in
Preference-Applied) only with `commit-allow-override` or `rollback-allow-override`;
otherwise it is silently ignored. A rolled-back write still answers with its
representation. Ported from PostgREST's RollbackSpec.hs and Preferences.hs
(fromHeaders: allowTxDbOverride); fixtures in fixtures/writes.sql, restored around
every test.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from taproot.database import Database
from tests.gateway.conftest import Gateway, GatewayFactory
from tests.gateway.spec._http import assert_json

GO = {"name": "Go", "rank": 4}


@pytest.fixture(autouse=True)
def _restore_writes(spec_db: Database) -> Iterator[None]:
    with spec_db.connect() as conn:
        conn.execute("SELECT private.reset_writes()")
    yield
    with spec_db.connect() as conn:
        conn.execute("SELECT private.reset_writes()")


def has_go(db: Database) -> bool:
    with db.connect() as conn:
        return conn.execute("SELECT count(*) FROM test.languages WHERE name = 'Go'").fetchone() == (
            1,
        )


def insert_go(gw: Gateway, prefer: str) -> requests.Response:
    return gw.post("/languages", json=GO, headers={"Prefer": prefer})


def test_default_commit_ignores_tx_rollback(gateway: Gateway, spec_db: Database) -> None:
    resp = insert_go(gateway, "return=representation, tx=rollback")
    assert_json(resp, 201, [GO], headers={"Preference-Applied": "return=representation"})
    assert has_go(spec_db)


def test_commit_allow_override_rolls_back_on_request(
    start_gateway: GatewayFactory, spec_db: Database
) -> None:
    gw = start_gateway(PGRST_DB_TX_END="commit-allow-override")
    resp = insert_go(gw, "return=representation, tx=rollback")
    assert_json(
        resp, 201, [GO], headers={"Preference-Applied": "return=representation, tx=rollback"}
    )
    assert not has_go(spec_db)


def test_commit_allow_override_commits_by_default(
    start_gateway: GatewayFactory, spec_db: Database
) -> None:
    gw = start_gateway(PGRST_DB_TX_END="commit-allow-override")
    resp = insert_go(gw, "return=minimal")
    assert resp.status_code == 201, resp.text
    assert resp.headers["Preference-Applied"] == "return=minimal"
    assert has_go(spec_db)


def test_commit_allow_override_echoes_tx_commit(
    start_gateway: GatewayFactory, spec_db: Database
) -> None:
    gw = start_gateway(PGRST_DB_TX_END="commit-allow-override")
    resp = insert_go(gw, "tx=commit")
    assert resp.status_code == 201, resp.text
    assert resp.headers["Preference-Applied"] == "tx=commit"
    assert has_go(spec_db)


def test_rolled_back_update_and_delete_answer_but_change_nothing(
    start_gateway: GatewayFactory, spec_db: Database
) -> None:
    gw = start_gateway(PGRST_DB_TX_END="commit-allow-override")
    prefer = {"Prefer": "return=representation, tx=rollback"}
    patched = gw.request("PATCH", "/languages?name=eq.C", json={"rank": 0}, headers=prefer)
    assert_json(patched, 200, [{"name": "C", "rank": 0}], content_range="0-0/*")
    deleted = gw.request("DELETE", "/languages?name=eq.Java", headers=prefer)
    assert_json(deleted, 200, [{"name": "Java", "rank": 3}])
    with spec_db.connect() as conn:
        assert conn.execute("SELECT name, rank FROM test.languages ORDER BY name").fetchall() == [
            ("C", 2),
            ("Java", 3),
            ("Python", 1),
        ]


def test_rollback_allow_override_rolls_back_by_default(
    start_gateway: GatewayFactory, spec_db: Database
) -> None:
    gw = start_gateway(PGRST_DB_TX_END="rollback-allow-override")
    resp = insert_go(gw, "return=representation")
    assert_json(resp, 201, [GO], headers={"Preference-Applied": "return=representation"})
    assert not has_go(spec_db)


def test_rollback_allow_override_commits_on_request(
    start_gateway: GatewayFactory, spec_db: Database
) -> None:
    gw = start_gateway(PGRST_DB_TX_END="rollback-allow-override")
    resp = insert_go(gw, "return=representation, tx=commit")
    assert_json(resp, 201, [GO], headers={"Preference-Applied": "return=representation, tx=commit"})
    assert has_go(spec_db)


def test_rollback_ignores_tx_commit(start_gateway: GatewayFactory, spec_db: Database) -> None:
    gw = start_gateway(PGRST_DB_TX_END="rollback")
    resp = insert_go(gw, "return=representation, tx=commit")
    assert_json(resp, 201, [GO], headers={"Preference-Applied": "return=representation"})
    assert not has_go(spec_db)


def test_tx_preference_is_valid_under_strict_handling(gateway: Gateway) -> None:
    resp = insert_go(gateway, "handling=strict, tx=rollback")
    assert resp.status_code == 201, resp.text
    assert resp.headers["Preference-Applied"] == "handling=strict"

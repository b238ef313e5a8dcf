"""Computed columns and computed relationships (functions of the row type) in a write's
`Prefer: return=representation`: `select=` after POST (upserts too), PATCH and DELETE may
name them, and `order=` may sort by them, as PostgREST's RETURNING rows allow. Fixtures
in fixtures/writes.sql and writes_computed.sql (todo_label(todos) → '#id title',
todo_writer(todos) → its author, ROWS 1), restored around every test.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from taproot.database import Database
from tests.gateway.conftest import Gateway
from tests.gateway.spec._http import assert_json

REP = {"Prefer": "return=representation"}


@pytest.fixture(autouse=True)
def _restore_writes(spec_db: Database) -> Iterator[None]:
    with spec_db.connect() as conn:
        conn.execute("SELECT private.reset_writes()")
    yield
    with spec_db.connect() as conn:
        conn.execute("SELECT private.reset_writes()")


def test_insert_selects_a_computed_column(api: Gateway) -> None:
    assert_json(
        api.post("/todos?select=id,todo_label", json={"title": "new"}, headers=REP),
        201,
        [{"id": 4, "todo_label": "#4 new"}],
    )


def test_insert_many_orders_by_a_computed_column(api: Gateway) -> None:
    assert_json(
        api.post(
            "/todos?select=todo_label&order=todo_label.desc",
            json=[{"title": "a"}, {"title": "b"}],
            headers=REP,
        ),
        201,
        [{"todo_label": "#5 b"}, {"todo_label": "#4 a"}],
    )


def test_update_selects_a_computed_column(api: Gateway) -> None:
    assert_json(
        api.request(
            "PATCH", "/todos?id=eq.1&select=title,todo_label", json={"title": "done"}, headers=REP
        ),
        200,
        [{"title": "done", "todo_label": "#1 done"}],
    )


def test_update_filters_by_a_computed_column(api: Gateway) -> None:
    assert_json(
        api.request(
            "PATCH",
            "/todos?todo_label=eq.%232%20read%20the%20source&select=id,done",
            json={"done": True},
            headers=REP,
        ),
        200,
        [{"id": 2, "done": True}],
    )


def test_delete_selects_a_computed_column(api: Gateway) -> None:
    assert_json(
        api.request("DELETE", "/todos?id=eq.3&select=id,todo_label", headers=REP),
        200,
        [{"id": 3, "todo_label": "#3 ship it"}],
    )


def test_upsert_selects_a_computed_column(api: Gateway) -> None:
    headers = {"Prefer": "return=representation,resolution=merge-duplicates"}
    assert_json(
        api.post("/todos?select=id,todo_label", json={"id": 1, "title": "again"}, headers=headers),
        200,
        [{"id": 1, "todo_label": "#1 again"}],
    )


def test_insert_embeds_a_computed_relationship(api: Gateway) -> None:
    assert_json(
        api.post(
            "/todos?select=title,todo_writer(name)",
            json={"title": "x", "author_id": 2},
            headers=REP,
        ),
        201,
        [{"title": "x", "todo_writer": {"name": "Italo Calvino"}}],
    )
    assert_json(
        api.request(
            "PATCH", "/todos?id=eq.3&select=id,todo_writer(name)", json={"done": True}, headers=REP
        ),
        200,
        [{"id": 3, "todo_writer": None}],
    )

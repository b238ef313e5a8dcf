"""POST upserts: `Prefer: resolution=merge-duplicates|ignore-duplicates`, on the primary
key or `on_conflict=` columns; 201 when a row was inserted, 200 when merge-duplicates only
updated. Ported from PostgREST's UpsertSpec.hs and Response.hs; fixtures in
fixtures/writes.sql, restored around every test.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from taproot.database import Database
from tests.gateway.conftest import Gateway
from tests.gateway.spec._http import assert_error, assert_json

MERGE = {"Prefer": "return=representation, resolution=merge-duplicates"}
IGNORE = {"Prefer": "return=representation, resolution=ignore-duplicates"}
MERGE_APPLIED = {"Preference-Applied": "resolution=merge-duplicates, return=representation"}
MERGE_MISSING_APPLIED = "resolution=merge-duplicates, missing=default, return=representation"
IGNORE_APPLIED = {"Preference-Applied": "resolution=ignore-duplicates, return=representation"}


@pytest.fixture(autouse=True)
def _restore_writes(spec_db: Database) -> Iterator[None]:
    with spec_db.connect() as conn:
        conn.execute("SELECT private.reset_writes()")
    yield
    with spec_db.connect() as conn:
        conn.execute("SELECT private.reset_writes()")


def rows(db: Database, sql: str) -> list[tuple[Any, ...]]:
    with db.connect() as conn:
        return conn.execute(sql).fetchall()


LANGUAGES = "SELECT name, rank FROM test.languages ORDER BY name"


def test_merge_inserts_and_updates_on_the_primary_key(api: Gateway, spec_db: Database) -> None:
    body = [{"name": "Go", "rank": 4}, {"name": "Java", "rank": 2}]
    assert_json(api.post("/languages", json=body, headers=MERGE), 201, body, headers=MERGE_APPLIED)
    assert rows(spec_db, LANGUAGES) == [("C", 2), ("Go", 4), ("Java", 2), ("Python", 1)]


def test_merge_that_only_updates_is_200(api: Gateway, spec_db: Database) -> None:
    body = [{"name": "C", "rank": 5}, {"name": "Python", "rank": 6}]
    assert_json(api.post("/languages", json=body, headers=MERGE), 200, body, headers=MERGE_APPLIED)
    assert rows(spec_db, LANGUAGES) == [("C", 5), ("Java", 3), ("Python", 6)]


def test_merge_of_an_empty_array_is_200(api: Gateway) -> None:
    assert_json(api.post("/languages", json=[], headers=MERGE), 200, [])


def test_merge_without_representation(api: Gateway, spec_db: Database) -> None:
    resp = api.post(
        "/languages",
        json={"name": "C", "rank": 8},
        headers={"Prefer": "resolution=merge-duplicates"},
    )
    assert resp.status_code == 200, resp.text
    assert resp.content == b""
    assert "Content-Type" not in resp.headers
    assert resp.headers["Preference-Applied"] == "resolution=merge-duplicates"
    assert rows(spec_db, "SELECT rank FROM test.languages WHERE name = 'C'") == [(8,)]


def test_ignore_skips_existing_rows(api: Gateway, spec_db: Database) -> None:
    body = [{"name": "Rust", "rank": 7}, {"name": "C", "rank": 99}]
    resp = api.post("/languages", json=body, headers=IGNORE)
    assert_json(resp, 201, [{"name": "Rust", "rank": 7}], headers=IGNORE_APPLIED)
    assert rows(spec_db, LANGUAGES) == [("C", 2), ("Java", 3), ("Python", 1), ("Rust", 7)]


def test_ignore_when_every_row_exists_is_201_and_empty(api: Gateway) -> None:
    resp = api.post("/languages", json=[{"name": "C", "rank": 1}], headers=IGNORE)
    assert_json(resp, 201, [], headers=IGNORE_APPLIED)


def test_merge_on_a_composite_primary_key(api: Gateway, spec_db: Database) -> None:
    body = [
        {"first_name": "Ada", "last_name": "Lovelace", "role": "programmer"},
        {"first_name": "Grace", "last_name": "Hopper", "role": "admiral"},
    ]
    assert_json(api.post("/staff", json=body, headers=MERGE), 201, body, headers=MERGE_APPLIED)
    assert rows(spec_db, "SELECT first_name, role FROM test.staff ORDER BY first_name") == [
        ("Ada", "programmer"),
        ("Alan", "cryptographer"),
        ("Grace", "admiral"),
    ]


def test_merge_on_a_unique_column_with_on_conflict(api: Gateway, spec_db: Database) -> None:
    body = [
        {"id": 1, "code": "SPRING", "label": "updated"},
        {"id": 4, "code": "WINTER", "label": "new"},
    ]
    resp = api.post("/coupons?on_conflict=code", json=body, headers=MERGE)
    assert_json(resp, 201, body, headers=MERGE_APPLIED)
    assert rows(spec_db, "SELECT id, code, label FROM test.coupons ORDER BY id") == [
        (1, "SPRING", "updated"),
        (2, "FALL", None),
        (4, "WINTER", "new"),
    ]


def test_ignore_on_a_unique_column_with_on_conflict(api: Gateway) -> None:
    body = [{"id": 5, "code": "FALL", "label": "dup"}, {"id": 6, "code": "SUMMER", "label": None}]
    resp = api.post("/coupons?on_conflict=code", json=body, headers=IGNORE)
    assert_json(resp, 201, [{"id": 6, "code": "SUMMER", "label": None}], headers=IGNORE_APPLIED)


def test_on_conflict_without_a_matching_constraint(api: Gateway) -> None:
    assert_error(
        api.post(
            "/coupons?on_conflict=label",
            json={"id": 9, "code": "X", "label": "y"},
            headers=MERGE,
        ),
        400,
        "42P10",
        "there is no unique or exclusion constraint matching the ON CONFLICT specification",
    )


def test_merge_with_missing_default_keeps_unlisted_columns(api: Gateway) -> None:
    # Defaults are evaluated for every row (SqlFragment.fromJsonBodyF), so the first row
    # uses up nextval() 4 even though it brings its own id.
    resp = api.post(
        "/todos?columns=id,title&select=id,title,priority",
        json=[{"id": 1, "title": "rewritten"}, {"title": "fresh"}],
        headers={"Prefer": "return=representation, resolution=merge-duplicates, missing=default"},
    )
    assert_json(
        resp,
        201,
        [
            {"id": 1, "title": "rewritten", "priority": 1},
            {"id": 5, "title": "fresh", "priority": 3},
        ],
        headers={"Preference-Applied": MERGE_MISSING_APPLIED},
    )


def test_merge_with_an_embed_in_the_representation(api: Gateway) -> None:
    resp = api.post(
        "/todos?select=id,title,authors(name)",
        json=[{"id": 2, "title": "re-read", "author_id": 1}],
        headers=MERGE,
    )
    assert_json(
        resp, 200, [{"id": 2, "title": "re-read", "authors": {"name": "Ursula K. Le Guin"}}]
    )


def test_resolution_is_ignored_without_a_primary_key(api: Gateway, spec_db: Database) -> None:
    resp = api.post("/loose_rows", json=[{"a": "1", "b": "x"}], headers=MERGE)
    assert_json(
        resp,
        201,
        [{"a": "1", "b": "x"}],
        headers={"Preference-Applied": "return=representation"},
    )
    assert rows(spec_db, "SELECT count(*) FROM test.loose_rows") == [(3,)]

"""PATCH with filters: 204 by default, 200 with `return=representation` (select, embeds,
order applied to the representation), Content-Range "first-last/*" of the updated rows,
`count=exact`, `columns=`, empty payloads, singular responses rolled back, errors.
Ported from PostgREST's UpdateSpec.hs and Response.hs; fixtures in fixtures/writes.sql,
restored around every test.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from taproot.database import Database
from tests.gateway.conftest import Gateway
from tests.gateway.spec._http import assert_error, assert_json

REP = {"Prefer": "return=representation"}
TODOS = "SELECT id, title, done, priority, author_id FROM test.todos ORDER BY id"
FIXTURE_TODOS = [
    (1, "write the spec", True, 1, 1),
    (2, "read the source", False, 2, 2),
    (3, "ship it", False, 3, None),
]


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


def patch(api: Gateway, path: str, body: Any, **headers: str) -> requests.Response:
    return api.request("PATCH", path, json=body, headers=headers)


def assert_no_content(resp: requests.Response, content_range: str) -> None:
    assert resp.status_code == 204, resp.text
    assert resp.content == b""
    assert "Content-Type" not in resp.headers, resp.headers
    assert resp.headers.get("Content-Range") == content_range, resp.headers


def test_update_one_row_is_204(api: Gateway, spec_db: Database) -> None:
    resp = patch(api, "/todos?id=eq.2", {"done": True})
    assert_no_content(resp, "0-0/*")
    assert "Preference-Applied" not in resp.headers
    assert rows(spec_db, "SELECT done FROM test.todos WHERE id = 2") == [(True,)]


def test_update_several_rows(api: Gateway, spec_db: Database) -> None:
    assert_no_content(patch(api, "/todos?done=is.false", {"priority": 9}), "0-1/*")
    assert rows(spec_db, "SELECT id, priority FROM test.todos ORDER BY id") == [
        (1, 1),
        (2, 9),
        (3, 9),
    ]


def test_update_nothing_matches(api: Gateway, spec_db: Database) -> None:
    assert_no_content(patch(api, "/todos?id=eq.99", {"done": True}), "*/*")
    assert rows(spec_db, TODOS) == FIXTURE_TODOS


def test_select_is_ignored_without_representation(api: Gateway) -> None:
    assert_no_content(patch(api, "/todos?id=eq.1&select=id", {"priority": 5}), "0-0/*")
    resp = patch(api, "/todos?id=eq.1&select=id", {"priority": 5}, Prefer="return=minimal")
    assert_no_content(resp, "0-0/*")
    assert resp.headers["Preference-Applied"] == "return=minimal"


def test_update_with_representation(api: Gateway) -> None:
    resp = patch(api, "/todos?id=eq.2", {"title": "read it all", "done": True}, **REP)
    assert_json(
        resp,
        200,
        [
            {
                "id": 2,
                "title": "read it all",
                "done": True,
                "priority": 2,
                "author_id": 2,
                "title_length": 11,
            }
        ],
        content_range="0-0/*",
        headers={"Preference-Applied": "return=representation"},
    )


def test_representation_respects_select_and_order(api: Gateway) -> None:
    resp = patch(
        api, "/todos?done=is.false&select=id,priority&order=id.desc", {"priority": 7}, **REP
    )
    assert_json(
        resp, 200, [{"id": 3, "priority": 7}, {"id": 2, "priority": 7}], content_range="0-1/*"
    )


def test_representation_with_embeds(api: Gateway) -> None:
    resp = patch(
        api,
        "/todos?id=eq.3&select=title,authors(name,books(id))&authors.books.order=id",
        {"author_id": 3},
        **REP,
    )
    assert_json(
        resp,
        200,
        [{"title": "ship it", "authors": {"name": "Jorge Luis Borges", "books": [{"id": 5}]}}],
    )


def test_representation_of_nothing_is_an_empty_array(api: Gateway) -> None:
    resp = patch(api, "/todos?id=eq.99", {"done": True}, **REP)
    assert_json(resp, 200, [], content_range="*/*")


def test_exact_count_on_update(api: Gateway) -> None:
    resp = patch(api, "/todos?done=is.false", {"priority": 4}, Prefer="count=exact")
    assert_no_content(resp, "0-1/2")
    assert resp.headers["Preference-Applied"] == "count=exact"


def test_set_a_column_to_null(api: Gateway) -> None:
    resp = patch(api, "/todos?id=eq.1&select=id,author_id", {"author_id": None}, **REP)
    assert_json(resp, 200, [{"id": 1, "author_id": None}])


def test_columns_restricts_the_keys_used(api: Gateway) -> None:
    resp = patch(
        api,
        "/todos?id=eq.1&columns=priority&select=id,title,priority",
        {"priority": 8, "title": "ignored", "junk": 1},
        **REP,
    )
    assert_json(resp, 200, [{"id": 1, "title": "write the spec", "priority": 8}])


def test_empty_object_updates_nothing(api: Gateway, spec_db: Database) -> None:
    assert_no_content(patch(api, "/todos", {}), "*/*")
    assert_json(patch(api, "/todos?select=id", {}, **REP), 200, [], content_range="*/*")
    assert rows(spec_db, TODOS) == FIXTURE_TODOS


def test_singular_with_several_rows_is_406_and_rolled_back(api: Gateway, spec_db: Database) -> None:
    resp = patch(
        api,
        "/todos?done=is.false",
        {"priority": 0},
        Prefer="return=representation",
        Accept="application/vnd.pgrst.object+json",
    )
    assert_error(
        resp,
        406,
        "PGRST116",
        "Cannot coerce the result to a single JSON object",
        "The result contains 2 rows",
    )
    assert rows(spec_db, TODOS) == FIXTURE_TODOS


def test_singular_with_one_row(api: Gateway) -> None:
    resp = patch(
        api,
        "/todos?id=eq.3&select=id,done",
        {"done": True},
        Prefer="return=representation",
        Accept="application/vnd.pgrst.object+json",
    )
    assert_json(
        resp,
        200,
        {"id": 3, "done": True},
        content_type="application/vnd.pgrst.object+json; charset=utf-8",
    )


def test_unknown_column(api: Gateway) -> None:
    assert_error(
        patch(api, "/todos?id=eq.1", {"nope": 1}),
        400,
        "PGRST204",
        "Could not find the 'nope' column of 'todos' in the schema cache",
    )


def test_invalid_json(api: Gateway) -> None:
    resp = api.request(
        "PATCH", "/todos?id=eq.1", data=b"}{ x = 2", headers={"Content-Type": "application/json"}
    )
    assert_error(resp, 400, "PGRST102", "Empty or invalid json")


def test_generated_column_cannot_be_updated(api: Gateway) -> None:
    assert_error(
        patch(api, "/todos?id=eq.1", {"title_length": 1}),
        400,
        "428C9",
        'column "title_length" can only be updated to DEFAULT',
        'Column "title_length" is a generated column.',
    )


def test_foreign_key_violation_is_409(api: Gateway) -> None:
    assert_error(
        patch(api, "/todos?id=eq.1", {"author_id": 42}),
        409,
        "23503",
        'insert or update on table "todos" violates foreign key constraint "todos_author_id_fkey"',
        'Key (author_id)=(42) is not present in table "authors".',
    )


def test_unique_violation_is_409(api: Gateway) -> None:
    assert_error(
        patch(api, "/coupons?id=eq.2", {"code": "SPRING"}),
        409,
        "23505",
        'duplicate key value violates unique constraint "coupons_code_key"',
        "Key (code)=(SPRING) already exists.",
    )


def test_anonymous_update_without_privilege_is_401(api: Gateway) -> None:
    assert_error(
        patch(api, "/authors?id=eq.4", {"name": "x"}),
        401,
        "42501",
        "permission denied for table authors",
        headers={"WWW-Authenticate": "Bearer"},
    )


def test_unknown_table_is_404(api: Gateway) -> None:
    resp = patch(api, "/zqxj_unknown?id=eq.1", {"a": 1})
    assert resp.status_code == 404, resp.text
    assert resp.json()["code"] == "PGRST205"


def test_range_header_is_ignored(api: Gateway, spec_db: Database) -> None:
    assert_no_content(patch(api, "/todos?id=gte.2", {"priority": 0}, Range="0-0"), "0-1/*")
    assert rows(spec_db, "SELECT id, priority FROM test.todos ORDER BY id") == [
        (1, 1),
        (2, 0),
        (3, 0),
    ]


def test_limited_update_with_order_limit_and_offset(api: Gateway, spec_db: Database) -> None:
    # LimitedMutationSpec.hs: limit/offset pick the rows by the given order.
    assert_no_content(patch(api, "/todos?order=id&limit=1&offset=1", {"priority": 0}), "0-0/*")
    assert rows(spec_db, "SELECT id, priority FROM test.todos ORDER BY id") == [
        (1, 1),
        (2, 0),
        (3, 3),
    ]


def test_singular_update_of_no_row_is_406(api: Gateway) -> None:
    resp = patch(
        api,
        "/todos?id=eq.99",
        {"done": True},
        Prefer="return=representation",
        Accept="application/vnd.pgrst.object+json",
    )
    assert_error(
        resp,
        406,
        "PGRST116",
        "Cannot coerce the result to a single JSON object",
        "The result contains 0 rows",
    )

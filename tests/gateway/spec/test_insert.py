"""POST on a table: one object or an array (one INSERT), CSV and form bodies, `columns=`,
`Prefer: return=minimal|headers-only|representation`, `missing=default`, `select=` and
embedding on the representation, and the errors. Ported from PostgREST's InsertSpec.hs
and Response.hs (201, Location only with headers-only, Content-Range "*/*" or "*/n");
fixtures in fixtures/writes.sql, restored around every test.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from taproot.database import Database
from tests.gateway.conftest import Gateway
from tests.gateway.spec._http import JSON_CT, OBJECT_CT, assert_error, assert_json

REP = {"Prefer": "return=representation"}


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


def assert_empty(resp: requests.Response, status: int, **headers: str | None) -> None:
    """An empty-bodied answer without Content-Type; `headers` maps a name (underscores for
    dashes) to its value, or to None when it must be absent."""
    assert resp.status_code == status, resp.text
    assert resp.content == b"", resp.text
    assert "Content-Type" not in resp.headers, resp.headers
    for name, value in headers.items():
        assert resp.headers.get(name.replace("_", "-")) == value, (name, resp.headers)


def todo(id_: int, title: str, **kw: Any) -> dict[str, Any]:
    """A full todos row as the representation shows it (defaults filled in)."""
    row = {"id": id_, "title": title, "done": False, "priority": 3, "author_id": None}
    row.update(kw)
    row["title_length"] = len(title)
    return row


# -- return=… -----------------------------------------------------------------------------


def test_default_is_minimal_201_without_body(api: Gateway, spec_db: Database) -> None:
    resp = api.post("/todos", json={"title": "new"})
    assert_empty(resp, 201, Location=None, Content_Range="*/*", Preference_Applied=None)
    assert rows(spec_db, "SELECT id, title, done, priority FROM test.todos WHERE id = 4") == [
        (4, "new", False, 3)
    ]


def test_return_minimal(api: Gateway) -> None:
    resp = api.post(
        "/todos?select=id,title", json={"title": "new"}, headers={"Prefer": "return=minimal"}
    )
    assert_empty(resp, 201, Location=None, Preference_Applied="return=minimal")


def test_return_headers_only_gives_location(api: Gateway) -> None:
    resp = api.post("/todos", json={"title": "new"}, headers={"Prefer": "return=headers-only"})
    assert_empty(
        resp,
        201,
        Location="/todos?id=eq.4",
        Content_Range="*/*",
        Preference_Applied="return=headers-only",
    )


def test_location_with_a_composite_primary_key(api: Gateway) -> None:
    resp = api.post(
        "/staff",
        json={"first_name": "Grace", "last_name": "Hopper", "role": "admiral"},
        headers={"Prefer": "return=headers-only"},
    )
    assert_empty(resp, 201, Location="/staff?first_name=eq.Grace&last_name=eq.Hopper")


def test_location_can_be_followed(api: Gateway) -> None:
    resp = api.post(
        "/languages", json={"name": "Go", "rank": 9}, headers={"Prefer": "return=headers-only"}
    )
    location = resp.headers["Location"]
    assert location == "/languages?name=eq.Go"
    assert_json(api.get(location), 200, [{"name": "Go", "rank": 9}])


def test_no_location_without_primary_key(api: Gateway) -> None:
    resp = api.post(
        "/loose_rows", json={"a": "3", "b": "y"}, headers={"Prefer": "return=headers-only"}
    )
    assert_empty(resp, 201, Location=None, Preference_Applied="return=headers-only")


def test_return_representation_of_one_object(api: Gateway) -> None:
    resp = api.post("/todos", json={"title": "new", "author_id": 2}, headers=REP)
    assert_json(
        resp,
        201,
        [todo(4, "new", author_id=2)],
        content_range="*/*",
        headers={"Preference-Applied": "return=representation"},
    )
    assert "Location" not in resp.headers


def test_return_representation_of_an_array_in_order(api: Gateway, spec_db: Database) -> None:
    body = [{"title": "first", "priority": 1}, {"title": "second", "priority": 2}]
    resp = api.post("/todos", json=body, headers=REP)
    assert_json(resp, 201, [todo(4, "first", priority=1), todo(5, "second", priority=2)])
    assert rows(spec_db, "SELECT count(*) FROM test.todos") == [(5,)]


def test_empty_array_inserts_nothing(api: Gateway, spec_db: Database) -> None:
    assert_json(api.post("/todos", json=[], headers=REP), 201, [], content_range="*/*")
    assert rows(spec_db, "SELECT count(*) FROM test.todos") == [(3,)]


def test_empty_object_inserts_a_row_of_defaults(api: Gateway, spec_db: Database) -> None:
    assert_json(api.post("/loose_rows", json={}, headers=REP), 201, [{"a": None, "b": None}])
    assert rows(spec_db, "SELECT count(*) FROM test.loose_rows") == [(3,)]


def test_representation_as_a_single_object(api: Gateway) -> None:
    resp = api.post(
        "/todos?select=id,title",
        json={"title": "solo"},
        headers={**REP, "Accept": "application/vnd.pgrst.object+json"},
    )
    assert_json(resp, 201, {"id": 4, "title": "solo"}, content_type=OBJECT_CT)


def test_exact_count_on_insert(api: Gateway) -> None:
    resp = api.post(
        "/todos?select=id",
        json=[{"title": "a"}, {"title": "b"}],
        headers={"Prefer": "return=representation, count=exact"},
    )
    assert_json(
        resp,
        201,
        [{"id": 4}, {"id": 5}],
        content_range="*/2",
        headers={"Preference-Applied": "return=representation, count=exact"},
    )


# -- select= and embedding on the representation ------------------------------------------


def test_select_renames_and_casts_the_representation(api: Gateway) -> None:
    resp = api.post("/todos?select=todo:title,id::text", json={"title": "new"}, headers=REP)
    assert_json(resp, 201, [{"todo": "new", "id": "4"}], content_type=JSON_CT)


def test_embed_on_the_representation(api: Gateway) -> None:
    resp = api.post(
        "/todos?select=title,authors(name)",
        json=[{"title": "x", "author_id": 2}, {"title": "y", "author_id": None}],
        headers=REP,
    )
    assert_json(
        resp,
        201,
        [{"title": "x", "authors": {"name": "Italo Calvino"}}, {"title": "y", "authors": None}],
    )


def test_spread_on_the_representation(api: Gateway) -> None:
    resp = api.post(
        "/todos?select=title,...authors(country)", json={"title": "x", "author_id": 3}, headers=REP
    )
    assert_json(resp, 201, [{"title": "x", "country": "AR"}])


# -- columns= and missing=default ----------------------------------------------------------


def test_columns_restricts_the_keys_used(api: Gateway) -> None:
    resp = api.post(
        "/todos?columns=title,priority",
        json={"title": "a", "priority": 5, "done": True, "junk": 1},
        headers=REP,
    )
    assert_json(resp, 201, [todo(4, "a", priority=5)])


def test_columns_missing_keys_become_null(api: Gateway) -> None:
    resp = api.post(
        "/todos?columns=title,priority&select=title,priority",
        json=[{"title": "a"}, {"title": "b", "priority": 1}],
        headers=REP,
    )
    assert_json(resp, 201, [{"title": "a", "priority": None}, {"title": "b", "priority": 1}])


def test_missing_default_uses_column_defaults(api: Gateway) -> None:
    resp = api.post(
        "/todos?columns=title,priority,done",
        json=[{"title": "a"}, {"title": "b", "priority": 1, "done": True}],
        headers={"Prefer": "return=representation, missing=default"},
    )
    assert_json(
        resp,
        201,
        [todo(4, "a"), todo(5, "b", priority=1, done=True)],
        headers={"Preference-Applied": "missing=default, return=representation"},
    )


def test_missing_default_fills_the_identity_column(api: Gateway) -> None:
    resp = api.post(
        "/todos?columns=id,title&select=id,title",
        json=[{"id": 10, "title": "given"}, {"title": "generated"}],
        headers={"Prefer": "return=representation, missing=default"},
    )
    # PostgREST merges jsonb_build_object(<every column default>) into each row
    # (SqlFragment.fromJsonBodyF), so nextval() runs for the first row too: 4 is used up.
    assert_json(resp, 201, [{"id": 10, "title": "given"}, {"id": 5, "title": "generated"}])


def test_unknown_column_in_columns(api: Gateway) -> None:
    assert_error(
        api.post("/todos?columns=title,nope", json={"title": "x"}),
        400,
        "PGRST204",
        "Could not find the 'nope' column of 'todos' in the schema cache",
    )


def test_unknown_key_in_the_payload(api: Gateway) -> None:
    assert_error(
        api.post("/todos", json={"title": "x", "nope": 1}),
        400,
        "PGRST204",
        "Could not find the 'nope' column of 'todos' in the schema cache",
    )


# -- body formats -----------------------------------------------------------------------------


def test_csv_body(api: Gateway) -> None:
    resp = api.post(
        "/todos?select=title,priority",
        data=b"title,priority\nfrom csv,7\nsecond,8",
        headers={**REP, "Content-Type": "text/csv"},
    )
    assert_json(
        resp, 201, [{"title": "from csv", "priority": 7}, {"title": "second", "priority": 8}]
    )


def test_csv_null_is_the_string_null(api: Gateway) -> None:
    resp = api.post(
        "/loose_rows", data=b"a,b\nNULL,foo", headers={**REP, "Content-Type": "text/csv"}
    )
    assert_json(resp, 201, [{"a": None, "b": "foo"}])


def test_csv_with_ragged_lines(api: Gateway) -> None:
    assert_error(
        api.post("/loose_rows", data=b"a,b\nfoo,bar\nbaz", headers={"Content-Type": "text/csv"}),
        400,
        "PGRST102",
        "All lines must have same number of fields",
    )


def test_form_urlencoded_body(api: Gateway) -> None:
    resp = api.post(
        "/todos?select=title,priority,done",
        data=b"title=from+a+form&priority=4",
        headers={**REP, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert_json(resp, 201, [{"title": "from a form", "priority": 4, "done": False}])


def test_whitespace_around_json_is_fine(api: Gateway) -> None:
    resp = api.post(
        "/loose_rows",
        data=b'\t \n [{"a": "p", "b": "q"}] \r\n',
        headers={**REP, "Content-Type": "application/json"},
    )
    assert_json(resp, 201, [{"a": "p", "b": "q"}])


# -- invalid bodies -----------------------------------------------------------------------------


def test_array_with_different_keys(api: Gateway) -> None:
    assert_error(
        api.post("/todos", json=[{"title": "a"}, {"title": "b", "priority": 1}]),
        400,
        "PGRST102",
        "All object keys must match",
    )


def test_array_with_non_objects(api: Gateway) -> None:
    assert_error(
        api.post("/todos", json=[{"title": "a"}, 123, "x"]),
        400,
        "PGRST102",
        "All object keys must match",
    )


def test_invalid_json(api: Gateway) -> None:
    assert_error(
        api.post("/todos", data=b"}{ x = 2", headers={"Content-Type": "application/json"}),
        400,
        "PGRST102",
        "Empty or invalid json",
    )


def test_empty_body(api: Gateway) -> None:
    assert_error(
        api.post("/todos", data=b"", headers={"Content-Type": "application/json"}),
        400,
        "PGRST102",
        "Empty or invalid json",
    )


# -- database errors ----------------------------------------------------------------------------


def test_duplicate_primary_key_is_409(api: Gateway) -> None:
    assert_error(
        api.post("/languages", json={"name": "C", "rank": 9}),
        409,
        "23505",
        'duplicate key value violates unique constraint "languages_pkey"',
        "Key (name)=(C) already exists.",
    )


def test_foreign_key_violation_is_409(api: Gateway) -> None:
    assert_error(
        api.post("/todos", json={"title": "x", "author_id": 99}),
        409,
        "23503",
        'insert or update on table "todos" violates foreign key constraint "todos_author_id_fkey"',
        'Key (author_id)=(99) is not present in table "authors".',
    )


def test_not_null_violation_is_400(api: Gateway) -> None:
    assert_error(
        api.post("/todos", json={"done": True}),
        400,
        "23502",
        'null value in column "title" of relation "todos" violates not-null constraint',
        "Failing row contains (4, null, t, 3, null, null).",
    )


def test_generated_column_cannot_be_written(api: Gateway) -> None:
    assert_error(
        api.post("/todos", json={"title": "x", "title_length": 5}),
        400,
        "428C9",
        'cannot insert a non-DEFAULT value into column "title_length"',
        'Column "title_length" is a generated column.',
    )


def test_anonymous_insert_without_privilege_is_401(api: Gateway) -> None:
    assert_error(
        api.post("/authors", json={"id": 9, "name": "x"}),
        401,
        "42501",
        "permission denied for table authors",
        headers={"WWW-Authenticate": "Bearer", "Proxy-Status": "PostgREST; error=42501"},
    )


def test_csv_in_and_out(api: Gateway) -> None:
    resp = api.post(
        "/todos?select=id,title",
        data=b"title,priority\nfrom csv,7\nsecond,8",
        headers={**REP, "Content-Type": "text/csv", "Accept": "text/csv"},
    )
    assert resp.status_code == 201, resp.text
    assert resp.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert resp.headers["Content-Range"] == "*/*"
    # Record text format, as for reads (test_media_csv.py): whitespace makes a field quoted.
    assert resp.text == 'id,title\n4,"from csv"\n5,second'


def test_an_array_is_one_statement_all_or_nothing(api: Gateway, spec_db: Database) -> None:
    resp = api.post("/todos", json=[{"title": "fine"}, {"title": None}])
    assert resp.status_code == 400, resp.text
    assert resp.json()["code"] == "23502"
    assert rows(spec_db, "SELECT count(*) FROM test.todos") == [(3,)]


def test_singular_insert_of_two_rows_is_406_and_rolled_back(
    api: Gateway, spec_db: Database
) -> None:
    # SingularSpec.hs: the write happens inside the transaction that is then rolled back.
    resp = api.post(
        "/todos",
        json=[{"title": "a"}, {"title": "b"}],
        headers={**REP, "Accept": "application/vnd.pgrst.object+json"},
    )
    assert_error(
        resp,
        406,
        "PGRST116",
        "Cannot coerce the result to a single JSON object",
        "The result contains 2 rows",
    )
    assert rows(spec_db, "SELECT count(*) FROM test.todos") == [(3,)]

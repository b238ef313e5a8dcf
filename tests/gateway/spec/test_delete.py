"""DELETE with filters: 204 by default, 200 with `return=representation` (select, embeds),
Content-Range "*/*" or "*/n" with `count=exact`, singular responses rolled back, errors.
Ported from PostgREST's DeleteSpec.hs and Response.hs; fixtures in fixtures/writes.sql,
restored around every test.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from taproot.database import Database
from tests.gateway.conftest import Gateway
from tests.gateway.spec._http import OBJECT_CT, assert_error, assert_json

REP = {"Prefer": "return=representation"}


@pytest.fixture(autouse=True)
def _restore_writes(spec_db: Database) -> Iterator[None]:
    with spec_db.connect() as conn:
        conn.execute("SELECT private.reset_writes()")
    yield
    with spec_db.connect() as conn:
        conn.execute("SELECT private.reset_writes()")


def ids_left(db: Database) -> list[object]:
    with db.connect() as conn:
        return [r[0] for r in conn.execute("SELECT id FROM test.todos ORDER BY id").fetchall()]


def delete(api: Gateway, path: str, **headers: str) -> requests.Response:
    return api.request("DELETE", path, headers=headers)


def assert_no_content(resp: requests.Response, content_range: str) -> None:
    assert resp.status_code == 204, resp.text
    assert resp.content == b""
    assert "Content-Type" not in resp.headers, resp.headers
    assert resp.headers.get("Content-Range") == content_range, resp.headers


def test_delete_one_row_is_204(api: Gateway, spec_db: Database) -> None:
    resp = delete(api, "/todos?id=eq.3")
    assert_no_content(resp, "*/*")
    assert "Preference-Applied" not in resp.headers
    assert ids_left(spec_db) == [1, 2]


def test_delete_with_representation(api: Gateway, spec_db: Database) -> None:
    resp = delete(api, "/todos?id=eq.3", **REP)
    expected: list[dict[str, Any]] = [
        {
            "id": 3,
            "title": "ship it",
            "done": False,
            "priority": 3,
            "author_id": None,
            "title_length": 7,
        }
    ]
    assert_json(
        resp,
        200,
        expected,
        content_range="*/*",
        headers={"Preference-Applied": "return=representation"},
    )
    assert ids_left(spec_db) == [1, 2]


def test_representation_with_select_order_and_embed(api: Gateway) -> None:
    resp = delete(api, "/todos?id=lte.2&select=id,authors(name)&order=id.desc", **REP)
    assert_json(
        resp,
        200,
        [
            {"id": 2, "authors": {"name": "Italo Calvino"}},
            {"id": 1, "authors": {"name": "Ursula K. Le Guin"}},
        ],
    )


def test_delete_nothing_matches(api: Gateway, spec_db: Database) -> None:
    assert_no_content(delete(api, "/todos?id=eq.99"), "*/*")
    assert_json(delete(api, "/todos?id=eq.99", **REP), 200, [], content_range="*/*")
    assert ids_left(spec_db) == [1, 2, 3]


def test_exact_count_on_delete(api: Gateway) -> None:
    resp = delete(api, "/todos?done=is.false", Prefer="count=exact")
    assert_no_content(resp, "*/2")
    assert resp.headers["Preference-Applied"] == "count=exact"


def test_exact_count_with_representation(api: Gateway) -> None:
    resp = delete(
        api, "/todos?done=is.false&select=id&order=id", Prefer="return=representation, count=exact"
    )
    assert_json(
        resp,
        200,
        [{"id": 2}, {"id": 3}],
        content_range="*/2",
        headers={"Preference-Applied": "return=representation, count=exact"},
    )


def test_delete_without_filters_deletes_every_row(api: Gateway, spec_db: Database) -> None:
    assert_no_content(delete(api, "/loose_rows"), "*/*")
    with spec_db.connect() as conn:
        assert conn.execute("SELECT count(*) FROM test.loose_rows").fetchone() == (0,)


def test_delete_with_a_logical_filter(api: Gateway, spec_db: Database) -> None:
    assert_no_content(delete(api, "/todos?or=(id.eq.1,priority.eq.3)"), "*/*")
    assert ids_left(spec_db) == [2]


def test_singular_with_several_rows_is_406_and_rolled_back(api: Gateway, spec_db: Database) -> None:
    resp = delete(
        api,
        "/todos?done=is.false",
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
    assert ids_left(spec_db) == [1, 2, 3]


def test_singular_with_one_row(api: Gateway) -> None:
    resp = delete(
        api,
        "/todos?id=eq.1&select=title",
        Prefer="return=representation",
        Accept="application/vnd.pgrst.object+json",
    )
    assert_json(resp, 200, {"title": "write the spec"}, content_type=OBJECT_CT)


def test_anonymous_delete_without_privilege_is_401(api: Gateway) -> None:
    assert_error(
        delete(api, "/authors?id=eq.4"),
        401,
        "42501",
        "permission denied for table authors",
        headers={"WWW-Authenticate": "Bearer"},
    )


def test_filter_on_an_unknown_column(api: Gateway, spec_db: Database) -> None:
    resp = delete(api, "/todos?nope=eq.1")
    assert resp.status_code == 400, resp.text
    body = resp.json()
    assert (body["code"], body["message"]) == ("42703", "column todos.nope does not exist")
    assert ids_left(spec_db) == [1, 2, 3]


def test_range_header_is_ignored(api: Gateway, spec_db: Database) -> None:
    resp = api.request("DELETE", "/todos?id=gte.2", headers={"Range": "0-0"})
    assert_no_content(resp, "*/*")
    assert ids_left(spec_db) == [1]


def test_limited_delete_with_order_limit_and_offset(api: Gateway, spec_db: Database) -> None:
    # LimitedMutationSpec.hs: limit/offset pick the rows by the given order.
    assert_no_content(delete(api, "/todos?order=id&limit=1&offset=1"), "*/*")
    assert ids_left(spec_db) == [1, 3]

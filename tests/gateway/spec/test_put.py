"""PUT: PostgREST's single-row upsert by primary key. The URL filters must be exactly the
primary key columns with `eq` (405 PGRST105), the payload must carry the same key values
(400 PGRST115), and limit/offset are refused (400 PGRST114). 201 when inserted, 200 when
updated (with a representation), 204 otherwise. Ported from PostgREST's UpsertSpec.hs
("with PUT") and Response.hs; fixtures in fixtures/writes.sql, restored around every test.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from taproot.database import Database
from tests.gateway.conftest import Gateway
from tests.gateway.spec._http import OBJECT_CT, assert_error, assert_json

REP = {"Prefer": "return=representation"}
PK_FILTERS = "Filters must include all and only primary key columns with 'eq' operators"


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


def put(api: Gateway, path: str, body: Any, **headers: str) -> Any:
    return api.request("PUT", path, json=body, headers=headers)


def test_put_inserts_a_missing_row_201(api: Gateway, spec_db: Database) -> None:
    resp = put(api, "/languages?name=eq.Go", {"name": "Go", "rank": 9}, **REP)
    assert_json(
        resp,
        201,
        [{"name": "Go", "rank": 9}],
        headers={"Preference-Applied": "return=representation"},
    )
    assert rows(spec_db, "SELECT rank FROM test.languages WHERE name = 'Go'") == [(9,)]


def test_put_updates_an_existing_row_200(api: Gateway, spec_db: Database) -> None:
    resp = put(api, "/languages?name=eq.Java", {"name": "Java", "rank": 1}, **REP)
    assert_json(resp, 200, [{"name": "Java", "rank": 1}])
    assert rows(spec_db, "SELECT rank FROM test.languages WHERE name = 'Java'") == [(1,)]


def test_put_accepts_a_one_element_array(api: Gateway) -> None:
    resp = put(api, "/languages?name=eq.Java", [{"name": "Java", "rank": 7}], **REP)
    assert_json(resp, 200, [{"name": "Java", "rank": 7}])


def test_put_without_representation_is_204(api: Gateway, spec_db: Database) -> None:
    resp = put(api, "/languages?name=eq.C", {"name": "C", "rank": 11})
    assert resp.status_code == 204, resp.text
    assert resp.content == b""
    assert "Content-Type" not in resp.headers
    assert rows(spec_db, "SELECT rank FROM test.languages WHERE name = 'C'") == [(11,)]


def test_put_return_minimal(api: Gateway) -> None:
    resp = put(api, "/languages?name=eq.Go", {"name": "Go", "rank": 9}, Prefer="return=minimal")
    assert resp.status_code == 204, resp.text
    assert resp.content == b""
    assert resp.headers["Preference-Applied"] == "return=minimal"


def test_put_on_a_composite_key(api: Gateway) -> None:
    resp = put(
        api,
        "/staff?first_name=eq.Ada&last_name=eq.Lovelace",
        {"first_name": "Ada", "last_name": "Lovelace", "role": "countess"},
        **REP,
    )
    assert_json(resp, 200, [{"first_name": "Ada", "last_name": "Lovelace", "role": "countess"}])


def test_put_as_a_single_object(api: Gateway) -> None:
    resp = put(
        api,
        "/languages?name=eq.Ruby",
        {"name": "Ruby", "rank": 11},
        Prefer="return=representation",
        Accept="application/vnd.pgrst.object+json",
    )
    assert_json(resp, 201, {"name": "Ruby", "rank": 11}, content_type=OBJECT_CT)


def test_put_with_select_and_embed(api: Gateway) -> None:
    resp = put(
        api,
        "/todos?id=eq.3&select=id,title,authors(name)",
        {"id": 3, "title": "shipped", "done": True, "priority": 3, "author_id": 2},
        **REP,
    )
    assert_json(resp, 200, [{"id": 3, "title": "shipped", "authors": {"name": "Italo Calvino"}}])


def test_put_ignores_the_range_header(api: Gateway) -> None:
    resp = put(api, "/languages?name=eq.Java", {"name": "Java", "rank": 5}, Range="1-1", **REP)
    assert_json(resp, 200, [{"name": "Java", "rank": 5}])


@pytest.mark.parametrize("param", ["limit=1", "offset=1"])
def test_put_refuses_limit_and_offset(api: Gateway, param: str) -> None:
    assert_error(
        put(api, f"/languages?name=eq.Go&{param}", {"name": "Go", "rank": 1}),
        400,
        "PGRST114",
        "limit/offset querystring parameters are not allowed for PUT",
    )


@pytest.mark.parametrize(
    "query",
    [
        "rank=eq.1",
        "name=not.eq.Go",
        "name=in.(Go)",
        "and=(name.eq.Go)",
        "name=eq.Go&rank=eq.1",
        "",
    ],
)
def test_put_needs_exactly_the_primary_key_with_eq(api: Gateway, query: str) -> None:
    assert_error(
        put(api, f"/languages?{query}", {"name": "Go", "rank": 1}), 405, "PGRST105", PK_FILTERS
    )


def test_put_needs_every_column_of_a_composite_key(api: Gateway) -> None:
    assert_error(
        put(api, "/staff?first_name=eq.Ada", {"first_name": "Ada", "last_name": "Lovelace"}),
        405,
        "PGRST105",
        PK_FILTERS,
    )


def test_put_on_a_table_without_primary_key(api: Gateway) -> None:
    assert_error(
        put(api, "/loose_rows?a=eq.1&b=eq.x", {"a": "1", "b": "x"}), 405, "PGRST105", PK_FILTERS
    )


def test_put_payload_must_match_the_url_key(api: Gateway) -> None:
    assert_error(
        put(api, "/languages?name=eq.Go", {"name": "Rust", "rank": 1}),
        400,
        "PGRST115",
        "Payload values do not match URL in primary key column(s)",
    )


def test_put_composite_payload_must_match_the_url_key(api: Gateway) -> None:
    assert_error(
        put(
            api,
            "/staff?first_name=eq.Ada&last_name=eq.Lovelace",
            {"first_name": "Ada", "last_name": "Byron", "role": "x"},
        ),
        400,
        "PGRST115",
        "Payload values do not match URL in primary key column(s)",
    )


def test_put_uses_only_the_first_element_of_an_array(api: Gateway, spec_db: Database) -> None:
    # UpsertSpec.hs: "succeeds if the payload has more than one row, but it only puts the
    # first element".
    resp = put(
        api,
        "/languages?name=eq.Java",
        [{"name": "Java", "rank": 19}, {"name": "Swift", "rank": 12}],
        Prefer="return=representation",
        Accept="application/vnd.pgrst.object+json",
    )
    assert_json(resp, 200, {"name": "Java", "rank": 19}, content_type=OBJECT_CT)
    assert rows(spec_db, "SELECT name, rank FROM test.languages ORDER BY name") == [
        ("C", 2),
        ("Java", 19),
        ("Python", 1),
    ]

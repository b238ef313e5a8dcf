"""Vertical filtering: `select=` with columns, `*`, aliases, casts; tables, views, HEAD.

Ported from PostgREST's QuerySpec.hs ("Shaping response with select parameter").
"""

from __future__ import annotations

from tests.gateway.conftest import Gateway
from tests.gateway.spec._http import JSON_CT, assert_error, assert_rows, ids

ROW_3 = {
    "id": 3,
    "name": "Three",
    "settings": {"foo": {"int": 3, "bar": "baz"}, "tags": []},
    "arr_data": [1, 2, 3],
    "field-with_sep": 3,
}


def test_no_select_returns_every_column(api: Gateway) -> None:
    assert_rows(api.get("/complex_items?id=eq.3"), [ROW_3])


def test_select_star_returns_every_column(api: Gateway) -> None:
    assert_rows(api.get("/complex_items?id=eq.3&select=*"), [ROW_3])


def test_one_column(api: Gateway) -> None:
    assert_rows(api.get("/complex_items?select=id&order=id"), ids(1, 2, 3))


def test_dash_in_column_name_is_accepted(api: Gateway) -> None:
    assert_rows(
        api.get("/complex_items?id=eq.3&select=id,field-with_sep"),
        [{"id": 3, "field-with_sep": 3}],
    )


def test_columns_come_back_in_select_order(api: Gateway) -> None:
    resp = api.get("/complex_items?id=eq.1&select=name,id")
    assert_rows(resp, [{"name": "One", "id": 1}])
    assert resp.text.replace(" ", "").startswith('[{"name":"One","id":1}')


def test_alias(api: Gateway) -> None:
    assert_rows(api.get("/complex_items?id=eq.1&select=myId:id"), [{"myId": 1}])


def test_cast_to_text(api: Gateway) -> None:
    assert_rows(
        api.get("/complex_items?select=id::text&order=id"),
        [{"id": "1"}, {"id": "2"}, {"id": "3"}],
    )


def test_alias_with_cast(api: Gateway) -> None:
    assert_rows(api.get("/complex_items?id=eq.1&select=myId:id::text"), [{"myId": "1"}])


def test_cast_numeric_to_integer(api: Gateway) -> None:
    assert_rows(
        api.get("/types?select=id,num::int&id=in.(1,2)&order=id"),
        [{"id": 1, "num": 2}, {"id": 2, "num": 2}],
    )


def test_json_column_is_embedded_as_json(api: Gateway) -> None:
    assert_rows(
        api.get("/complex_items?id=eq.1&select=settings"),
        [{"settings": {"foo": {"int": 1, "bar": "baz"}, "tags": ["a"]}}],
    )


def test_types_are_rendered_as_postgres_to_json_does(api: Gateway) -> None:
    assert_rows(
        api.get("/types?order=id"),
        [
            {"id": 1, "num": 1.5, "day": "2024-01-31", "flag": True, "tags": ["x", "y"]},
            {"id": 2, "num": 2.25, "day": "2024-02-29", "flag": False, "tags": ["y"]},
            {"id": 3, "num": None, "day": None, "flag": None, "tags": []},
        ],
    )


def test_bad_cast_type_is_a_postgres_error(api: Gateway) -> None:
    assert_error(
        api.get("/complex_items?select=id::fakecolumntype"),
        400,
        "42704",
        'type "fakecolumntype" does not exist',
    )


def test_unknown_column_is_a_postgres_error(api: Gateway) -> None:
    assert_error(
        api.get("/complex_items?select=id,nope"),
        400,
        "42703",
        "column complex_items.nope does not exist",
    )


def test_reads_a_view(api: Gateway) -> None:
    assert_rows(api.get("/items_view?order=id"), ids(1, 2, 3, 4, 5))


def test_empty_result_is_an_empty_array(api: Gateway) -> None:
    assert_rows(api.get("/items?id=eq.999"), [], content_range="*/*")


def test_nonexistent_table_is_404_pgrst205(api: Gateway) -> None:
    assert_error(
        api.get("/xyzzy_nothing_like_it"),
        404,
        "PGRST205",
        "Could not find the table 'test.xyzzy_nothing_like_it' in the schema cache",
    )


def test_nonexistent_table_close_to_a_real_one_gets_a_hint(api: Gateway) -> None:
    assert_error(
        api.get("/item"),
        404,
        "PGRST205",
        "Could not find the table 'test.item' in the schema cache",
        hint="Perhaps you meant the table 'test.items'",
    )


def test_head_has_headers_and_no_body(api: Gateway) -> None:
    resp = api.head("/items?select=id&order=id.asc&limit=3&offset=2")
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == JSON_CT
    assert resp.headers["Content-Range"] == "2-4/*"
    assert resp.content == b""


def test_head_on_a_view(api: Gateway) -> None:
    resp = api.head("/items_view")
    assert resp.status_code == 200
    assert resp.headers["Content-Range"] == "0-4/*"
    assert resp.content == b""


def test_table_without_select_privilege_is_401_for_anon(api: Gateway) -> None:
    assert_error(
        api.get("/authors_only"),
        401,
        "42501",
        "permission denied for table authors_only",
        headers={"WWW-Authenticate": "Bearer"},
    )


def test_content_location_is_the_canonical_query(api: Gateway) -> None:
    # Response.hs: "/" <> table <> "?" <> query params sorted by name (qsCanonical).
    resp = api.get("/no_pk?b=eq.1&a=eq.1")
    assert_rows(resp, [], content_range="*/*")
    assert resp.headers["Content-Location"] == "/no_pk?a=eq.1&b=eq.1"


def test_content_location_without_query(api: Gateway) -> None:
    resp = api.get("/items_view")
    assert resp.status_code == 200
    assert resp.headers["Content-Location"] == "/items_view"


def test_select_parse_error_inside_parentheses(api: Gateway) -> None:
    assert_error(
        api.get("/items?select=id,clients(name[])"),
        400,
        "PGRST100",
        '"failed to parse select parameter (id,clients(name[]))" (line 1, column 16)',
        'unexpected \'[\' expecting letter, digit, "-", "->>", "->", "::", ".", ")",'
        ' "," or end of input',
    )


def test_select_parse_error_in_json_index(api: Gateway) -> None:
    assert_error(
        api.get("/json_arr?select=data->>-78xy"),
        400,
        "PGRST100",
        '"failed to parse select parameter (data->>-78xy)" (line 1, column 11)',
        'unexpected \'x\' expecting digit, "->", "::", ".", "," or end of input',
    )


def test_aggregates_are_disabled_by_default(api: Gateway) -> None:
    # PostgREST 12 ships aggregates behind db-aggregates-enabled (off).
    for select in ("count()", "id.sum()", "total:id.max()"):
        assert_error(
            api.get(f"/items?select={select}"),
            400,
            "PGRST123",
            "Use of aggregate functions is not allowed",
        )


def test_nested_path_is_404_pgrst125(api: Gateway) -> None:
    assert_error(
        api.get("/items/extra"),
        404,
        "PGRST125",
        "Invalid path specified in request URL",
    )


def test_unsupported_method_is_405_pgrst117(api: Gateway) -> None:
    assert_error(
        api.request("TRACE", "/items"),
        405,
        "PGRST117",
        "Unsupported HTTP method: TRACE",
    )


def test_spaces_around_select_commas(api: Gateway) -> None:
    assert_rows(
        api.get("/complex_items?select=id,%20name%20,arr_data&id=eq.1"),
        [{"id": 1, "name": "One", "arr_data": [1]}],
    )


def test_filter_on_a_column_not_selected(api: Gateway) -> None:
    assert_rows(api.get("/complex_items?select=name&id=eq.2"), [{"name": "Two"}])

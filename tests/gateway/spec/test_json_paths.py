"""JSON/JSONB arrows in select, filters and order (PostgREST's JsonOperatorSpec.hs).

The output key of `a->b->>c` is its last key (`c`); a path ending in an array index
is named after the last key before it, or the column.
"""

from __future__ import annotations

from tests.gateway.conftest import Gateway
from tests.gateway.spec._http import assert_error, assert_rows, ids


def test_select_two_levels_text(api: Gateway) -> None:
    assert_rows(api.get("/complex_items?id=eq.1&select=settings->foo->>bar"), [{"bar": "baz"}])


def test_select_two_levels_json(api: Gateway) -> None:
    assert_rows(api.get("/complex_items?id=eq.2&select=settings->foo->bar"), [{"bar": "qux"}])


def test_select_subobject(api: Gateway) -> None:
    assert_rows(
        api.get("/complex_items?id=eq.1&select=settings->foo"),
        [{"foo": {"int": 1, "bar": "baz"}}],
    )


def test_select_text_arrow_with_json_cast(api: Gateway) -> None:
    assert_rows(
        api.get("/complex_items?id=eq.1&select=settings->>foo::json"),
        [{"foo": {"int": 1, "bar": "baz"}}],
    )


def test_select_with_alias_and_integer_cast(api: Gateway) -> None:
    assert_rows(
        api.get("/complex_items?id=eq.1&select=myInt:settings->foo->>int::integer"),
        [{"myInt": 1}],
    )


def test_select_bad_cast_of_json_text(api: Gateway) -> None:
    assert_error(
        api.get("/complex_items?id=eq.1&select=settings->foo->>bar::integer"),
        400,
        "22P02",
        'invalid input syntax for type integer: "baz"',
    )


def test_select_array_indexes(api: Gateway) -> None:
    assert_rows(
        api.get("/json_arr?select=data->>0::int&id=in.(1,2)&order=id"),
        [{"data": 1}, {"data": 1}],
    )
    assert_rows(
        api.get("/json_arr?select=idx0:data->>0::int,idx1:data->1&id=in.(1,2)&order=id"),
        [{"idx0": 1, "idx1": 2}, {"idx0": 1, "idx1": [2, 3]}],
    )


def test_select_negative_index(api: Gateway) -> None:
    assert_rows(api.get("/json_arr?select=data->>-1&id=eq.1"), [{"data": "3"}])


def test_select_object_inside_array(api: Gateway) -> None:
    assert_rows(
        api.get("/json_arr?select=data->0->>a&id=in.(3,4)&order=id"),
        [{"a": "A"}, {"a": "[1, 2, 3]"}],
    )
    assert_rows(
        api.get("/json_arr?select=data->c->0->d&id=eq.6"),
        [{"d": [4, 5, 6, 7, 8]}],
    )


def test_select_missing_key_is_null(api: Gateway) -> None:
    assert_rows(api.get("/complex_items?id=eq.1&select=settings->nope"), [{"nope": None}])


def test_double_arrow_followed_by_single_arrow_is_a_postgres_error(api: Gateway) -> None:
    assert_error(
        api.get("/json_arr?select=data->>c->1"),
        404,
        "42883",
        "operator does not exist: text -> integer",
        hint="No operator matches the given name and argument types."
        " You might need to add explicit type casts.",
    )


def test_filter_on_nested_key(api: Gateway) -> None:
    assert_rows(api.get("/complex_items?select=id&settings->foo->>bar=eq.baz&order=id"), ids(1, 3))
    assert_rows(api.get("/complex_items?select=id&settings->foo->>bar=eq.fake"), [])


def test_filter_on_nested_key_with_not(api: Gateway) -> None:
    assert_rows(api.get("/complex_items?select=id&settings->foo->>bar=not.eq.baz"), ids(2))


def test_filter_jsonb_value_with_single_arrow(api: Gateway) -> None:
    assert_rows(api.get('/complex_items?select=id&settings->foo=eq.{"int":2,"bar":"qux"}'), ids(2))
    assert_rows(api.get('/complex_items?select=id&settings->tags=eq.["a","b"]'), ids(2))


def test_filter_numeric_comparison_on_text_arrow_compares_text(api: Gateway) -> None:
    assert_rows(api.get("/scores?select=id&stats->>level=gt.1&order=id"), ids(1, 3, 5))


def test_filter_by_array_index(api: Gateway) -> None:
    assert_rows(api.get("/json_arr?select=id&data->>0=eq.1&order=id"), ids(1, 2))
    assert_rows(api.get("/json_arr?select=id&data->1->>b=eq.B"), ids(3))
    assert_rows(api.get("/json_arr?select=id&data->1->b->>1=eq.5"), ids(4))


def test_filter_with_jsonb_contains(api: Gateway) -> None:
    assert_rows(
        api.get('/complex_items?select=id&settings=cs.{"foo":{"bar":"baz"}}&order=id'), ids(1, 3)
    )
    assert_rows(api.get('/complex_items?select=id&settings->tags=cs.["b"]'), ids(2))


def test_order_by_json_path(api: Gateway) -> None:
    assert_rows(
        api.get("/scores?select=id&order=stats->rank->>pos.asc.nullslast"),
        ids(2, 5, 1, 3, 4),
    )
    assert_rows(
        api.get("/scores?select=id&order=stats->>level.desc.nullslast,id.asc"),
        ids(3, 1, 5, 2, 4),
    )


def test_order_by_json_path_nullsfirst(api: Gateway) -> None:
    assert_rows(
        api.get("/scores?select=id&order=stats->rank->pos.nullsfirst,id"),
        ids(3, 4, 2, 5, 1),
    )


def test_bad_json_path_syntax(api: Gateway) -> None:
    assert_error(
        api.get("/json_arr?select=data->>--34"),
        400,
        "PGRST100",
        '"failed to parse select parameter (data->>--34)" (line 1, column 9)',
        'unexpected "-" expecting digit',
    )

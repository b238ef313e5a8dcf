"""Horizontal filtering, comparison family: eq neq gt gte lt lte in is isdistinct, and `not.`.

Ported from PostgREST's QuerySpec.hs ("Filtering response"); `items` holds ids 1..15.
"""

from __future__ import annotations

import pytest

from tests.gateway.conftest import Gateway
from tests.gateway.spec._http import assert_error, assert_rows, ids


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("id=eq.5", [5]),
        ("id=neq.5&id=lt.8", [1, 2, 3, 4, 6, 7]),
        ("id=gt.13", [14, 15]),
        ("id=gte.14", [14, 15]),
        ("id=lt.3", [1, 2]),
        ("id=lte.2", [1, 2]),
        ("id=gt.3&id=lt.6", [4, 5]),
        ("id=in.(1,3,5)", [1, 3, 5]),
        ("id=in.()", []),
        ("id=not.eq.5&id=lt.7", [1, 2, 3, 4, 6]),
        ("id=not.lt.14", [14, 15]),
        ("id=not.gt.2", [1, 2]),
        ("id=not.in.(2,4,6,7,8,9,10,11,12,13,14,15)", [1, 3, 5]),
    ],
)
def test_items_comparison(api: Gateway, query: str, expected: list[int]) -> None:
    assert_rows(api.get(f"/items?{query}&order=id"), ids(*expected))


def test_eq_on_text(api: Gateway) -> None:
    assert_rows(api.get("/complex_items?select=id&name=eq.Two"), ids(2))


def test_eq_on_date_and_numeric(api: Gateway) -> None:
    assert_rows(api.get("/types?select=id&day=eq.2024-02-29"), ids(2))
    assert_rows(api.get("/types?select=id&num=gt.2"), ids(2))


def test_is_null(api: Gateway) -> None:
    assert_rows(api.get("/no_pk?a=is.null"), [{"a": None, "b": None}])
    assert_rows(api.get("/nullable_integer?a=is.null"), [{"a": None}])


def test_not_is_null(api: Gateway) -> None:
    assert_rows(
        api.get("/no_pk?a=not.is.null&order=a"),
        [{"a": "1", "b": "0"}, {"a": "2", "b": "0"}],
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("true", [1]),
        ("false", [2]),
        ("unknown", [3]),
        ("TRUE", [1]),
        ("FAlSe", [2]),
        ("UnKnOwN", [3]),
        ("NULL", [3]),
    ],
)
def test_is_trilean_any_case(api: Gateway, value: str, expected: list[int]) -> None:
    assert_rows(api.get(f"/types?select=id&flag=is.{value}"), ids(*expected))


def test_is_with_anything_else_is_rejected(api: Gateway) -> None:
    resp = api.get("/types?flag=is.nil")
    assert resp.status_code == 400
    assert resp.json()["code"] == "PGRST100"


def test_isdistinct(api: Gateway) -> None:
    assert_rows(
        api.get("/no_pk?select=a&a=isdistinct.2&order=a.nullsfirst"),
        [{"a": None}, {"a": "1"}],
    )


def test_not_isdistinct(api: Gateway) -> None:
    assert_rows(api.get("/no_pk?select=a&a=not.isdistinct.2"), [{"a": "2"}])


def test_several_filters_on_one_column_are_anded(api: Gateway) -> None:
    assert_rows(api.get("/items?id=gte.3&id=lte.4&order=id"), ids(3, 4))


def test_in_with_quoted_values_holding_reserved_characters(api: Gateway) -> None:
    assert_rows(
        api.get('/special_chars?select=id&val=in.("a,b","(a)","a.b","a:b")&order=id'),
        ids(1, 2, 3, 6),
    )


def test_in_with_escaped_quote_and_backslash(api: Gateway) -> None:
    assert_rows(api.get('/special_chars?select=id&val=in.("say \\"hi\\"")'), ids(4))
    assert_rows(api.get('/special_chars?select=id&val=in.("back\\\\slash")'), ids(5))


def test_in_with_an_empty_value_in_an_integer_list_is_a_cast_error(api: Gateway) -> None:
    assert_error(
        api.get("/items?id=in.( ,3,4)"),
        400,
        "22P02",
        'invalid input syntax for type bigint: ""',
    )


def test_eq_value_is_everything_after_the_operator(api: Gateway) -> None:
    # Outside in-lists and logic trees, commas, dots and colons are plain characters.
    assert_rows(api.get("/special_chars?select=id&val=eq.a,b"), ids(1))
    assert_rows(api.get("/special_chars?select=id&val=eq.a.b"), ids(2))
    assert_rows(api.get("/special_chars?select=id&val=eq.a:b"), ids(6))
    assert_rows(api.get("/special_chars?select=id&val=eq.(a)"), ids(3))


def test_eq_does_not_unquote_double_quotes(api: Gateway) -> None:
    assert_rows(api.get('/special_chars?select=id&val=eq."a,b"'), [])


def test_eq_with_percent_encoded_value(api: Gateway) -> None:
    # "a&b=c" and "a+b" must arrive intact: & = and + are percent-encoded by the client.
    assert_rows(api.get("/special_chars?select=id&val=eq.a%26b%3Dc"), ids(11))
    assert_rows(api.get("/special_chars?select=id&val=eq.a%2Bb"), ids(12))
    assert_rows(api.get("/special_chars?select=id&val=eq.100%25"), ids(8))
    assert_rows(api.get("/special_chars?select=id&val=eq.caf%C3%A9"), ids(9))
    assert_rows(api.get("/special_chars?select=id&val=eq.%20padded%20"), ids(7))
    assert_rows(api.get("/special_chars?select=id&val=eq.a%20b"), ids(10))


def test_filter_on_a_column_that_does_not_exist(api: Gateway) -> None:
    assert_error(
        api.get("/items?nope=eq.1"),
        400,
        "42703",
        "column items.nope does not exist",
    )


def test_filter_value_of_the_wrong_type(api: Gateway) -> None:
    assert_error(
        api.get("/items?id=eq.abc"),
        400,
        "22P02",
        'invalid input syntax for type bigint: "abc"',
    )


def test_filter_without_operator(api: Gateway) -> None:
    assert_error(
        api.get("/items?id=0"),
        400,
        "PGRST100",
        '"failed to parse filter (0)" (line 1, column 1)',
        'unexpected "0" expecting "not" or operator (eq, gt, ...)',
    )


def test_unknown_operator(api: Gateway) -> None:
    resp = api.get("/items?id=equals.1")
    assert resp.status_code == 400
    assert resp.json()["code"] == "PGRST100"


def test_raw_plus_in_the_query_string_is_a_space(api: Gateway) -> None:
    # PostgREST decodes the query with http-types' parseQueryReplacePlus True.
    assert_rows(api.get("/special_chars?select=id&val=eq.a+b"), ids(10))
    assert_rows(api.get("/special_chars?select=id&val=eq.a%2Bb"), ids(12))


@pytest.mark.parametrize(
    ("value", "column", "unexpected"),
    [
        ("fts().value", 5, '")"'),
        ("eq().value", 4, '")"'),
        ("is().value", 3, '"("'),
        ("in().value", 3, '"("'),
    ],
)
def test_operator_parse_errors(api: Gateway, value: str, column: int, unexpected: str) -> None:
    assert_error(
        api.get(f"/items?id={value}"),
        400,
        "PGRST100",
        f'"failed to parse filter ({value})" (line 1, column {column})',
        f"unexpected {unexpected} expecting operator (eq, gt, ...)",
    )


def test_is_not_null(api: Gateway) -> None:
    # PostgREST 13 (#3747): `is.not_null`, any case; `not.is.not_null` is `is.null`.
    assert_rows(
        api.get("/no_pk?a=is.not_null&order=a"), [{"a": "1", "b": "0"}, {"a": "2", "b": "0"}]
    )
    assert_rows(api.get("/no_pk?a=not.is.not_null"), [{"a": None, "b": None}])
    assert_rows(api.get("/types?select=id&flag=is.NoT_NuLl&order=id"), ids(1, 2))


def test_operators_are_lower_case(api: Gateway) -> None:
    assert_error(
        api.get("/items?id=EQ.1"),
        400,
        "PGRST100",
        '"failed to parse filter (EQ.1)" (line 1, column 1)',
        'unexpected "E" expecting "not" or operator (eq, gt, ...)',
    )

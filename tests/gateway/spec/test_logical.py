"""Logical trees: or=(…), and=(…), nesting, not.or / not.and, operators inside trees.

Ported from PostgREST's AndOrParamsSpec.hs, adapted to `items` (1..15) and
`complex_items`/`special_chars`.
"""

from __future__ import annotations

import pytest

from tests.gateway.conftest import Gateway
from tests.gateway.spec._http import assert_error, assert_rows, ids


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("or=(id.eq.1,id.eq.3)", [1, 3]),
        ("and=(id.gt.3,id.lt.6)", [4, 5]),
        ("or=(id.lt.2,and(id.gt.5,id.lt.7))", [1, 6]),
        ("and=(id.lt.10,or(id.eq.2,id.eq.12))", [2]),
        ("not.or=(id.gt.2,id.eq.1)", [2]),
        ("not.and=(id.gt.2,id.lt.15)", [1, 2, 15]),
        ("or=(id.not.gt.2,id.eq.15)", [1, 2, 15]),
        ("or=(id.in.(1,2),id.eq(any).{14,15})", [1, 2, 14, 15]),
        ("or=(and(id.gt.1,id.lt.3),and(id.gt.12,or(id.eq.13,id.eq.15)))", [2, 13, 15]),
        ("or=(id.eq.1,not.and(id.gt.2,id.lt.14))", [1, 2, 14, 15]),
        ("id=gt.10&or=(id.eq.1,id.eq.11)", [11]),
        ("or=(id.eq.1)&or=(id.eq.1,id.eq.2)", [1]),
    ],
)
def test_trees_on_items(api: Gateway, query: str, expected: list[int]) -> None:
    assert_rows(api.get(f"/items?{query}&order=id"), ids(*expected))


def test_tree_with_pattern_and_array_operators(api: Gateway) -> None:
    assert_rows(
        api.get("/complex_items?select=id&or=(name.like.O*,arr_data.cs.{3})&order=id"),
        ids(1, 3),
    )


def test_tree_with_is_and_isdistinct(api: Gateway) -> None:
    assert_rows(
        api.get("/no_pk?select=a&or=(a.is.null,a.isdistinct.1)&order=a.nullsfirst"),
        [{"a": None}, {"a": "2"}],
    )


def test_tree_with_json_path_operands(api: Gateway) -> None:
    assert_rows(
        api.get(
            "/complex_items?select=id&or=(settings->foo->>bar.eq.qux,settings->foo->>int.eq.3)"
            "&order=id"
        ),
        ids(2, 3),
    )


def test_double_quoted_values_with_reserved_characters(api: Gateway) -> None:
    assert_rows(
        api.get('/special_chars?select=id&or=(val.eq."a,b",val.eq."(a)",val.eq."a.b")&order=id'),
        ids(1, 2, 3),
    )


def test_double_quoted_value_with_escaped_quote(api: Gateway) -> None:
    assert_rows(api.get('/special_chars?select=id&or=(val.eq."say \\"hi\\"")'), ids(4))


def test_in_list_inside_tree_with_quoted_values(api: Gateway) -> None:
    assert_rows(
        api.get('/special_chars?select=id&or=(val.in.("a,b","a:b"),id.eq.12)&order=id'),
        ids(1, 6, 12),
    )


def test_spaces_after_commas_are_ignored(api: Gateway) -> None:
    assert_rows(api.get("/items?or=(id.eq.1, id.eq.2)&order=id"), ids(1, 2))


def test_empty_tree_is_a_parse_error(api: Gateway) -> None:
    assert_error(
        api.get("/items?or=()"),
        400,
        "PGRST100",
        '"failed to parse logic tree (())" (line 1, column 4)',
        'unexpected ")" expecting field name (* or [a..z0..9_$]), negation operator (not)'
        " or logic operator (and, or)",
    )


def test_unbalanced_parentheses_are_a_parse_error(api: Gateway) -> None:
    resp = api.get("/items?or=(id.eq.1,id.eq.2")
    assert resp.status_code == 400
    assert resp.json()["code"] == "PGRST100"
    assert resp.json()["message"].startswith('"failed to parse logic tree ((id.eq.1,id.eq.2)"')


def test_whitespace_around_tree_elements_is_allowed(api: Gateway) -> None:
    assert_rows(
        api.get("/items?and=( and ( id.in.( 1, 2, 3 ) , id.eq.3 ) , or ( id.eq.2 , id.eq.3 ) )"),
        ids(3),
    )


def test_tree_without_parentheses_is_a_parse_error(api: Gateway) -> None:
    resp = api.get("/items?or=id.eq.1")
    assert resp.status_code == 400
    assert resp.json()["code"] == "PGRST100"
    assert resp.json()["message"].startswith('"failed to parse logic tree (id.eq.1)"')


def test_unknown_column_inside_tree(api: Gateway) -> None:
    assert_error(
        api.get("/items?or=(nope.eq.1,id.eq.2)"),
        400,
        "42703",
        "column items.nope does not exist",
    )


def test_in_without_parentheses_inside_a_tree(api: Gateway) -> None:
    assert_error(
        api.get("/items?or=(id.in.1,2,id.eq.3)"),
        400,
        "PGRST100",
        '"failed to parse logic tree ((id.in.1,2,id.eq.3))" (line 1, column 10)',
        'unexpected "1" expecting "("',
    )


def test_unknown_logic_operator_inside_a_tree(api: Gateway) -> None:
    assert_error(
        api.get("/items?or=(id.eq.1,not.xor(id.eq.2,id.eq.3))"),
        400,
        "PGRST100",
        '"failed to parse logic tree ((id.eq.1,not.xor(id.eq.2,id.eq.3)))" (line 1, column 16)',
        'unexpected "x" expecting logic operator (and, or)',
    )

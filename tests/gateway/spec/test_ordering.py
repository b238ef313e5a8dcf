"""`order=`: asc/desc, nullsfirst/nullslast, several columns, and parse errors.

Ported from PostgREST's QuerySpec.hs ("ordering response"); `no_pk.a` holds '1', '2', NULL.
"""

from __future__ import annotations

import pytest

from tests.gateway.conftest import Gateway
from tests.gateway.spec._http import assert_error, assert_rows, ids

ROW_1 = {"a": "1", "b": "0"}
ROW_2 = {"a": "2", "b": "0"}
ROW_NULL = {"a": None, "b": None}


def test_by_a_column_asc(api: Gateway) -> None:
    assert_rows(api.get("/items?id=lte.2&order=id.asc"), ids(1, 2))


def test_by_a_column_desc(api: Gateway) -> None:
    assert_rows(api.get("/items?id=lte.2&order=id.desc"), ids(2, 1))


def test_no_direction_means_asc(api: Gateway) -> None:
    assert_rows(api.get("/items?id=lte.2&order=id"), ids(1, 2))


@pytest.mark.parametrize(
    ("order", "expected"),
    [
        ("a.nullsfirst", [ROW_NULL, ROW_1, ROW_2]),
        ("a.asc.nullslast", [ROW_1, ROW_2, ROW_NULL]),
        ("a.desc.nullsfirst", [ROW_NULL, ROW_2, ROW_1]),
        ("a.desc.nullslast", [ROW_2, ROW_1, ROW_NULL]),
        ("a.asc", [ROW_1, ROW_2, ROW_NULL]),
        ("a.desc", [ROW_NULL, ROW_2, ROW_1]),
    ],
)
def test_nulls_placement(api: Gateway, order: str, expected: list[dict[str, str | None]]) -> None:
    assert_rows(api.get(f"/no_pk?order={order}"), expected)


def test_by_two_columns(api: Gateway) -> None:
    assert_rows(
        api.get("/scores?select=id,score&order=score.desc.nullslast,id.desc"),
        [
            {"id": 1, "score": 30},
            {"id": 4, "score": 20},
            {"id": 3, "score": 10},
            {"id": 5, "score": None},
            {"id": 2, "score": None},
        ],
    )


def test_order_by_a_column_not_selected(api: Gateway) -> None:
    assert_rows(
        api.get("/scores?select=player&order=score.asc.nullsfirst,id"),
        [{"player": p} for p in ("bob", "eve", "cid", "dee", "ana")],
    )


def test_order_on_a_view(api: Gateway) -> None:
    assert_rows(api.get("/items_view?order=id.desc"), ids(5, 4, 3, 2, 1))


def test_order_by_unknown_column(api: Gateway) -> None:
    assert_error(
        api.get("/items?order=nope.asc"),
        400,
        "42703",
        "column items.nope does not exist",
    )


def test_misspelled_nulls_modifier(api: Gateway) -> None:
    assert_error(
        api.get("/items?order=id.asc.nullslasttt"),
        400,
        "PGRST100",
        '"failed to parse order (id.asc.nullslasttt)" (line 1, column 17)',
        "unexpected 't' expecting \",\" or end of input",
    )


def test_misspelled_direction(api: Gateway) -> None:
    assert_error(
        api.get("/items?order=id.ac"),
        400,
        "PGRST100",
        '"failed to parse order (id.ac)" (line 1, column 4)',
        'unexpected "c" expecting "asc", "desc", "nullsfirst" or "nullslast"',
    )


def test_trailing_characters_after_direction(api: Gateway) -> None:
    assert_error(
        api.get("/items?order=id.descc"),
        400,
        "PGRST100",
        '"failed to parse order (id.descc)" (line 1, column 8)',
        "unexpected 'c' expecting delimiter (.), \",\" or end of input",
    )


def test_misspelled_nulls_after_direction(api: Gateway) -> None:
    assert_error(
        api.get("/items?order=id.asc.nlsfst"),
        400,
        "PGRST100",
        '"failed to parse order (id.asc.nlsfst)" (line 1, column 8)',
        'unexpected "l" expecting "nullsfirst" or "nullslast"',
    )

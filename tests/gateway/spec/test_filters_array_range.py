"""Array and range filters: cs cd ov (arrays and ranges), sl sr nxr nxl adj (ranges).

`complex_items.arr_data` holds {1}, {1,2}, {1,2,3}; `ranges.range` holds
[1,3] [3,6] [6,9] [9,12] (numrange).
"""

from __future__ import annotations

import pytest

from tests.gateway.conftest import Gateway
from tests.gateway.spec._http import assert_rows, ids


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("arr_data=cs.{2}", [2, 3]),
        ("arr_data=cs.{1,3}", [3]),
        ("arr_data=cd.{1,2,4}", [1, 2]),
        ("arr_data=ov.{3,4}", [3]),
        ("arr_data=not.cs.{2}", [1]),
        ("arr_data=eq.{1,2}", [2]),
    ],
)
def test_array_operators(api: Gateway, query: str, expected: list[int]) -> None:
    assert_rows(api.get(f"/complex_items?select=id&{query}&order=id"), ids(*expected))


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("range=cs.[2,3]", [1]),
        ("range=cd.[1,7]", [1, 2]),
        ("range=ov.[4,7)", [2, 3]),
        ("range=sl.(6,10)", [1, 2]),
        ("range=sr.[3,5]", [3, 4]),
        ("range=nxr.[4,7]", [1, 2]),
        ("range=nxl.[5,7]", [3, 4]),
        ("range=adj.(3,6)", [1, 3]),
        ("range=adj.(12,13)", [4]),
        ("range=adj.[0,1)", [1]),
        ("range=not.ov.[4,7)", [1, 4]),
    ],
)
def test_range_operators(api: Gateway, query: str, expected: list[int]) -> None:
    assert_rows(api.get(f"/ranges?select=id&{query}&order=id"), ids(*expected))


def test_array_literal_with_quoted_elements(api: Gateway) -> None:
    assert_rows(api.get('/types?select=id&tags=cs.{"x"}'), ids(1))
    assert_rows(api.get("/types?select=id&tags=cd.{x,y}&order=id"), ids(1, 2, 3))


def test_malformed_array_literal_is_a_postgres_error(api: Gateway) -> None:
    resp = api.get("/complex_items?arr_data=cs.{1,")
    assert resp.status_code == 400
    assert resp.json() == {
        "code": "22P02",
        "message": 'malformed array literal: "{1,"',
        "details": "Unexpected end of input.",
        "hint": None,
    }

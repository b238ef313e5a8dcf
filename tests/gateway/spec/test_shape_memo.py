"""The plan memo by URL shape (gateway/shape_memo.py): a GET with other filter values
than a memoized one answers with its own values, its own Content-Location and the same
errors as the full pipeline.
"""

from __future__ import annotations

from gateway import shape_memo
from gateway.query import Statement
from tests.gateway.conftest import Gateway
from tests.gateway.spec._http import assert_rows, ids


def test_same_shape_other_values(api: Gateway) -> None:
    for n in (3, 7, 11, 3):
        response = api.get(f"/items?id=eq.{n}")
        assert_rows(response, ids(n))
        assert response.headers["content-location"] == f"/items?id=eq.{n}"


def test_same_shape_two_filters_and_ranges(api: Gateway) -> None:
    assert_rows(api.get("/items?id=gt.3&id=lt.6&order=id"), ids(4, 5))
    assert_rows(api.get("/items?id=gt.10&id=lt.14&order=id"), ids(11, 12, 13))
    assert_rows(api.get("/items?id=gte.14&id=lte.15&order=id"), ids(14, 15))


def test_value_repeated_elsewhere_is_not_templated(api: Gateway) -> None:
    # the value 2 is also the limit: the shape is not memoized, both answers stay right
    assert_rows(api.get("/items?id=gt.2&order=id&limit=2"), ids(3, 4))
    assert_rows(api.get("/items?id=gt.5&order=id&limit=2"), ids(6, 7))


def test_bad_value_after_a_memoized_shape(api: Gateway) -> None:
    assert_rows(api.get("/items?id=eq.1"), ids(1))
    again = api.get("/items?id=eq.not-a-number")
    assert again.status_code == 400
    assert again.json()["code"] == "22P02"


def test_text_filters(api: Gateway) -> None:
    assert_rows(api.get("/complex_items?select=id&name=eq.Two"), ids(2))
    assert_rows(api.get("/complex_items?select=id&name=eq.Three"), ids(3))


def test_shape_masks_only_simple_values() -> None:
    assert shape_memo.shape("/items", b"id=eq.5&order=id&limit=2") == (
        b"id=eq.\x00&order=id&limit=2",
        ("5",),
    )
    assert shape_memo.shape("/items", b"id=in.(1,2)") is None
    assert shape_memo.shape("/items", b"name=eq.a%20b") is None
    assert shape_memo.shape("/items", b"items.id=eq.5") is None
    assert shape_memo.shape("/rpc/f", b"a=eq.5") is None
    assert shape_memo.shape("/items", b"") is None


def test_positions_need_each_value_once() -> None:
    st = Statement("SELECT", ["5", "x", 2])
    assert shape_memo.positions(st, ("5",)) == (0,)
    assert shape_memo.positions(Statement("SELECT", ["5", "5"]), ("5",)) is None
    assert shape_memo.positions(Statement("SELECT", ["5%"]), ("5",)) is None
    assert shape_memo.positions(Statement("S", ["5"], "EXPLAIN", ["5"]), ("5",)) is None
    assert shape_memo.positions(st, ("5", "5")) is None
    assert shape_memo.bind(st, (0,), ("9",)).params == ["9", "x", 2]

"""What functions return: scalars, arrays, json, composites (an object), SETOF and
TABLE (an array, with select/filters/order/limit/count applied), NULL, void (204).
"""

from __future__ import annotations

from tests.gateway.conftest import Gateway
from tests.gateway.spec._http import JSON_CT, assert_json, ids


def test_scalar(api: Gateway) -> None:
    assert_json(api.get("/rpc/add_them?a=1&b=2"), 200, 3, content_range="0-0/*")


def test_scalar_with_exact_count_counts_one(api: Gateway) -> None:
    resp = api.get("/rpc/add_them?a=3&b=4", headers={"Prefer": "count=exact"})
    assert_json(resp, 200, 7, content_range="0-0/1")


def test_null_scalar(api: Gateway) -> None:
    assert_json(api.get("/rpc/ret_null"), 200, None)


def test_json_result_is_passed_through(api: Gateway) -> None:
    assert_json(api.get("/rpc/ret_json"), 200, {"a": [1, 2], "b": None})


def test_array_result(api: Gateway) -> None:
    assert_json(api.get("/rpc/ret_text_array"), 200, ["a", "b"])


def test_setof_scalars_is_an_array(api: Gateway) -> None:
    assert_json(api.get("/rpc/ret_setof_integers"), 200, [1, 2, 3], content_range="0-2/*")


def test_composite_result_is_a_single_object(api: Gateway) -> None:
    assert_json(api.get("/rpc/ret_item?id=2"), 200, {"id": 2})
    assert_json(api.post("/rpc/ret_item", json={"id": 3}), 200, {"id": 3})


def test_table_result_is_an_array(api: Gateway) -> None:
    assert_json(
        api.get("/rpc/ret_rows_table"),
        200,
        [{"x": 1, "y": "one"}, {"x": 2, "y": "two"}],
    )


def test_setof_table_rows(api: Gateway) -> None:
    assert_json(api.post("/rpc/getitemrange", json={"min": 2, "max": 4}), 200, ids(3, 4))
    assert_json(api.get("/rpc/getitemrange?min=2&max=4"), 200, ids(3, 4))


def test_empty_set_is_an_empty_array(api: Gateway) -> None:
    assert_json(api.get("/rpc/getitemrange?min=2&max=2"), 200, [], content_range="*/*")


def test_void_is_204_without_content_type(api: Gateway) -> None:
    for resp in (api.get("/rpc/ret_void"), api.post("/rpc/ret_void", json={})):
        assert resp.status_code == 204, resp.text
        assert "Content-Type" not in resp.headers
        assert resp.content == b""


def test_select_filter_order_on_set_results(api: Gateway) -> None:
    assert_json(
        api.get("/rpc/ret_scores?select=id,player&score=gt.15&order=score.desc"),
        200,
        [{"id": 1, "player": "ana"}, {"id": 4, "player": "dee"}],
    )
    assert_json(
        api.post("/rpc/ret_scores?select=player&score=is.null&order=id", json={}),
        200,
        [{"player": "bob"}, {"player": "eve"}],
    )


def test_filter_named_like_no_argument_on_get(api: Gateway) -> None:
    assert_json(api.get("/rpc/getitemrange?min=0&max=15&id=gt.12&order=id"), 200, ids(13, 14, 15))


def test_limit_offset_on_set_results(api: Gateway) -> None:
    assert_json(
        api.get("/rpc/getitemrange?min=2&max=4&limit=1&offset=1"),
        200,
        ids(4),
        content_range="1-1/*",
    )
    assert_json(
        api.post("/rpc/getitemrange?limit=1&offset=1", json={"min": 2, "max": 4}),
        200,
        ids(4),
        content_range="1-1/*",
    )


def test_exact_count_on_set_results(api: Gateway) -> None:
    resp = api.get(
        "/rpc/getitemrange?min=2&max=4&limit=1&offset=1", headers={"Prefer": "count=exact"}
    )
    assert_json(resp, 206, ids(4), content_range="1-1/2")
    resp = api.head("/rpc/getitemrange?min=2&max=4", headers={"Prefer": "count=exact"})
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == JSON_CT
    assert resp.headers["Content-Range"] == "0-1/2"


def test_range_header_is_ignored_on_post(api: Gateway) -> None:
    resp = api.post(
        "/rpc/getitemrange",
        json={"min": 2, "max": 4},
        headers={"Range": "1-1", "Prefer": "count=exact"},
    )
    assert_json(resp, 200, ids(3, 4), content_range="0-1/2")


def test_offset_past_the_end_with_count_is_416(api: Gateway) -> None:
    resp = api.get("/rpc/getitemrange?offset=100&min=0&max=15", headers={"Prefer": "count=exact"})
    assert_json(
        resp,
        416,
        {
            "code": "PGRST103",
            "message": "Requested range not satisfiable",
            "details": "An offset of 100 was requested, but there are only 15 rows.",
            "hint": None,
        },
        content_range="*/15",
    )


def test_csv_from_a_set_returning_function(api: Gateway) -> None:
    resp = api.get("/rpc/getitemrange?min=2&max=4", headers={"Accept": "text/csv"})
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert resp.text == "id\n3\n4"

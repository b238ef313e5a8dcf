"""limit/offset, Range/Range-Unit headers, Content-Range on every response, 200/206/416.

Ported from PostgREST's RangeSpec.hs. Without a count the total is `*` and the status
is 200; with Prefer: count=… a partial range is 206 and a start past the end is 416.
"""

from __future__ import annotations

from tests.gateway.conftest import Gateway
from tests.gateway.spec._http import JSON_CT, assert_error, assert_json, assert_rows, ids

ALL = list(range(1, 16))
EXACT = {"Prefer": "count=exact"}


def rng(value: str, **extra: str) -> dict[str, str]:
    return {"Range-Unit": "items", "Range": value, **extra}


def test_no_parameters_return_everything(api: Gateway) -> None:
    assert_rows(api.get("/items?order=id"), ids(*ALL), content_range="0-14/*")


def test_limit(api: Gateway) -> None:
    assert_rows(api.get("/items?select=id&order=id.asc&limit=3"), ids(1, 2, 3), "0-2/*")


def test_limit_and_offset(api: Gateway) -> None:
    assert_rows(api.get("/items?order=id&limit=3&offset=2"), ids(3, 4, 5), "2-4/*")


def test_offset_only(api: Gateway) -> None:
    assert_rows(api.get("/items?order=id&offset=13"), ids(14, 15), "13-14/*")


def test_offset_zero_is_a_no_op(api: Gateway) -> None:
    assert_rows(api.get("/items?order=id&offset=0"), ids(*ALL), "0-14/*")


def test_limit_zero_is_an_empty_array(api: Gateway) -> None:
    assert_rows(api.get("/items?limit=0"), [], "*/*")


def test_negative_limit_is_416(api: Gateway) -> None:
    assert_error(
        api.get("/items?limit=-1"),
        416,
        "PGRST103",
        "Requested range not satisfiable",
        "Limit should be greater than or equal to zero.",
    )


def test_non_numeric_limit_and_offset_are_ignored(api: Gateway) -> None:
    # QueryParams.hs: limit/offset go through readMaybe; what does not parse is dropped.
    assert_rows(api.get("/items?order=id&limit=abc"), ids(*ALL), "0-14/*")
    assert_rows(api.get("/items?order=id&offset=abc"), ids(*ALL), "0-14/*")


def test_offset_past_the_end_without_count_is_an_empty_200(api: Gateway) -> None:
    assert_rows(api.get("/items?offset=100"), [], "*/*")


def test_range_header(api: Gateway) -> None:
    assert_rows(api.get("/items?order=id", headers=rng("0-1")), ids(1, 2), "0-1/*")


def test_range_header_open_ended(api: Gateway) -> None:
    assert_rows(api.get("/items?order=id", headers=rng("10-")), ids(11, 12, 13, 14, 15), "10-14/*")


def test_range_header_one_item(api: Gateway) -> None:
    assert_rows(api.get("/items?order=id", headers=rng("0-0")), ids(1), "0-0/*")


def test_range_header_beyond_the_end_is_truncated(api: Gateway) -> None:
    assert_rows(
        api.get("/items?order=id", headers=rng("10-100")), ids(11, 12, 13, 14, 15), "10-14/*"
    )


def test_range_header_overrides_limit(api: Gateway) -> None:
    assert_rows(api.get("/items?order=id&limit=3", headers=rng("0-1")), ids(1, 2), "0-1/*")


def test_range_header_empty_result(api: Gateway) -> None:
    assert_rows(api.get("/items?id=gt.100", headers=rng("0-1")), [], "*/*")


def test_range_header_lower_above_upper_is_416(api: Gateway) -> None:
    assert_error(
        api.get("/items", headers=rng("1-0")),
        416,
        "PGRST103",
        "Requested range not satisfiable",
        "The lower boundary must be lower than or equal to the upper boundary in the Range header.",
    )


def test_count_exact_full_range_is_200(api: Gateway) -> None:
    resp = api.get("/items?order=id", headers=EXACT)
    assert_json(resp, 200, ids(*ALL), content_range="0-14/15")


def test_count_exact_partial_range_is_206(api: Gateway) -> None:
    resp = api.get("/items?order=id&limit=2", headers=EXACT)
    assert_json(resp, 206, ids(1, 2), content_range="0-1/15")


def test_count_exact_with_range_header_is_206(api: Gateway) -> None:
    resp = api.get("/items?order=id", headers=rng("3-5", **EXACT))
    assert_json(resp, 206, ids(4, 5, 6), content_range="3-5/15")


def test_count_exact_with_filter(api: Gateway) -> None:
    resp = api.get("/items?id=gt.12&order=id", headers=EXACT)
    assert_json(resp, 200, ids(13, 14, 15), content_range="0-2/3")


def test_count_exact_empty_result(api: Gateway) -> None:
    resp = api.get("/items?id=gt.100", headers=EXACT)
    assert_json(resp, 200, [], content_range="*/0")


def test_count_exact_offset_past_the_end_is_416(api: Gateway) -> None:
    resp = api.get("/items?offset=100", headers=EXACT)
    assert_error(
        resp,
        416,
        "PGRST103",
        "Requested range not satisfiable",
        "An offset of 100 was requested, but there are only 15 rows.",
    )
    assert resp.headers["Content-Range"] == "*/15"


def test_count_exact_nonzero_offset_on_empty_result_is_416(api: Gateway) -> None:
    resp = api.get("/items?id=gt.100&offset=1", headers=EXACT)
    assert_error(
        resp,
        416,
        "PGRST103",
        "Requested range not satisfiable",
        "An offset of 1 was requested, but there are only 0 rows.",
    )
    assert resp.headers["Content-Range"] == "*/0"


def test_count_exact_range_header_past_the_end_is_416(api: Gateway) -> None:
    resp = api.get("/items", headers=rng("100-199", **EXACT))
    assert resp.status_code == 416
    assert resp.headers["Content-Range"] == "*/15"


def test_count_none_is_like_no_count(api: Gateway) -> None:
    resp = api.get("/items?id=eq.1", headers={"Prefer": "count=none"})
    assert_rows(resp, ids(1), "0-0/*")


def test_count_planned_full_table_uses_statistics(api: Gateway) -> None:
    resp = api.head("/items", headers={"Prefer": "count=planned"})
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == JSON_CT
    assert resp.headers["Content-Range"] == "0-14/15"
    assert resp.content == b""


def test_count_planned_with_limit_is_206(api: Gateway) -> None:
    resp = api.head("/items?limit=2&offset=3", headers={"Prefer": "count=planned"})
    assert resp.status_code == 206
    assert resp.headers["Content-Range"] == "3-4/15"


def test_count_planned_uses_the_planner_estimate(api: Gateway) -> None:
    # EXPLAIN estimates 8 rows for id > 8 on the analysed table (7 really match),
    # exactly as in PostgREST's own RangeSpec.
    resp = api.get("/items?select=id&id=gt.8&order=id", headers={"Prefer": "count=planned"})
    assert_json(resp, 206, ids(9, 10, 11, 12, 13, 14, 15), content_range="0-6/8")


def test_count_estimated_under_max_rows_is_exact(api: Gateway) -> None:
    resp = api.get("/items?id=gt.12&order=id", headers={"Prefer": "count=estimated"})
    assert_json(resp, 200, ids(13, 14, 15), content_range="0-2/3")


def test_head_with_count_exact(api: Gateway) -> None:
    resp = api.head("/items?limit=1", headers=EXACT)
    assert resp.status_code == 206
    assert resp.headers["Content-Range"] == "0-0/15"
    assert resp.content == b""


def test_preference_applied_names_the_count(api: Gateway) -> None:
    resp = api.get("/items?limit=1", headers=EXACT)
    assert resp.headers.get("Preference-Applied") == "count=exact"


def test_limit_zero_with_count_is_206_with_star_range(api: Gateway) -> None:
    # RangeQuery.hs: no rows → "*" range; 1 + upper - lower = 0 < total → 206.
    resp = api.get("/items?limit=0", headers=EXACT)
    assert_json(resp, 206, [], content_range="*/15")


def test_offset_equal_to_total_with_count_is_206_empty(api: Gateway) -> None:
    # Only an offset strictly past the total is 416 (lower > total).
    resp = api.get("/items?offset=15", headers=EXACT)
    assert_json(resp, 206, [], content_range="*/15")


def test_offset_equal_to_total_without_count_is_200_empty(api: Gateway) -> None:
    assert_rows(api.get("/items?offset=15"), [], "*/*")


def test_offset_one_past_total_with_count_is_416(api: Gateway) -> None:
    resp = api.get("/items?offset=16", headers=EXACT)
    assert resp.status_code == 416
    assert resp.headers["Content-Range"] == "*/15"
    assert resp.json()["details"] == "An offset of 16 was requested, but there are only 15 rows."


def test_unparsable_range_header_is_ignored(api: Gateway) -> None:
    # RangeQuery.hs: a Range that does not match "first-[last]" means the whole range.
    assert_rows(api.get("/items?order=id", headers=rng("abc")), ids(*ALL), "0-14/*")

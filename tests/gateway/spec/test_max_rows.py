"""db-max-rows: the server caps every read; counts still see the whole set.

Ported from PostgREST's QueryLimitedSpec.hs (max-rows = 2).
"""

from __future__ import annotations

import pytest

from tests.gateway.conftest import Gateway, GatewayFactory
from tests.gateway.spec._http import assert_json, assert_rows, ids


@pytest.fixture(scope="module")
def limited(start_gateway: GatewayFactory) -> Gateway:
    return start_gateway(PGRST_DB_MAX_ROWS="2")


def test_restricts_results(limited: Gateway) -> None:
    assert_rows(limited.get("/items?order=id"), ids(1, 2), "0-1/*")


def test_client_limit_below_max_rows_is_respected(limited: Gateway) -> None:
    assert_rows(
        limited.get("/items?order=id", headers={"Range-Unit": "items", "Range": "0-0"}),
        ids(1),
        "0-0/*",
    )
    assert_rows(limited.get("/items?order=id&limit=1"), ids(1), "0-0/*")


def test_client_limit_above_max_rows_is_capped(limited: Gateway) -> None:
    assert_rows(limited.get("/items?order=id&limit=10"), ids(1, 2), "0-1/*")


def test_offset_with_max_rows(limited: Gateway) -> None:
    assert_rows(limited.get("/items?order=id&offset=5"), ids(6, 7), "5-6/*")


def test_exact_count_sees_every_row(limited: Gateway) -> None:
    resp = limited.get("/items?order=id", headers={"Prefer": "count=exact"})
    assert_json(resp, 206, ids(1, 2), content_range="0-1/15")


def test_estimated_count_uses_planner_above_max_rows(limited: Gateway) -> None:
    resp = limited.head("/items", headers={"Prefer": "count=estimated"})
    assert resp.status_code == 206
    assert resp.headers["Content-Range"] == "0-1/15"


def test_estimated_count_is_exact_at_or_below_max_rows(limited: Gateway) -> None:
    resp = limited.head("/items?id=lt.3", headers={"Prefer": "count=estimated"})
    assert resp.status_code == 200
    assert resp.headers["Content-Range"] == "0-1/2"


def test_max_rows_applies_to_set_returning_rpc(limited: Gateway) -> None:
    assert_rows(limited.get("/rpc/getitemrange?min=0&max=15&order=id"), ids(1, 2), "0-1/*")

"""Content negotiation: application/json, */*, the singular object type
(application/vnd.pgrst.object+json, PGRST116 unless exactly one row) and unsupported
Accept values (406 PGRST107). Ported from QuerySpec.hs and SingularSpec.hs.
"""

from __future__ import annotations

import pytest

from tests.gateway.conftest import Gateway
from tests.gateway.spec._http import JSON_CT, OBJECT_CT, assert_error, assert_json, ids

OBJECT = {"Accept": "application/vnd.pgrst.object+json"}


@pytest.mark.parametrize(
    "accept",
    ["application/json", "*/*", "text/unknowntype, */*", "application/json; q=0.5"],
)
def test_json_for_these_accept_values(api: Gateway, accept: str) -> None:
    assert_json(api.get("/items?id=eq.1", headers={"Accept": accept}), 200, ids(1))


def test_no_accept_header_is_json(api: Gateway) -> None:
    resp = api.get("/items?id=eq.1", headers={"Accept": None})
    assert_json(resp, 200, ids(1))


def test_unknown_accept_is_406(api: Gateway) -> None:
    assert_error(
        api.get("/items", headers={"Accept": "text/unknowntype"}),
        406,
        "PGRST107",
        "None of these media types are available: text/unknowntype",
    )


def test_unknown_accept_on_rpc_is_406(api: Gateway) -> None:
    assert_error(
        api.get("/rpc/sayhello?name=world", headers={"Accept": "audio/mpeg3"}),
        406,
        "PGRST107",
        "None of these media types are available: audio/mpeg3",
    )


def test_singular_object(api: Gateway) -> None:
    assert_json(
        api.get("/items?id=eq.5", headers=OBJECT),
        200,
        {"id": 5},
        content_type=OBJECT_CT,
        content_range="0-0/*",
    )


def test_singular_object_with_select(api: Gateway) -> None:
    assert_json(
        api.get("/complex_items?id=eq.2&select=name,arr_data", headers=OBJECT),
        200,
        {"name": "Two", "arr_data": [1, 2]},
        content_type=OBJECT_CT,
    )


def test_singular_with_many_rows_is_406(api: Gateway) -> None:
    assert_error(
        api.get("/items", headers=OBJECT),
        406,
        "PGRST116",
        "Cannot coerce the result to a single JSON object",
        "The result contains 15 rows",
    )


def test_singular_with_no_rows_is_406(api: Gateway) -> None:
    assert_error(
        api.get("/items?id=eq.999", headers=OBJECT),
        406,
        "PGRST116",
        "Cannot coerce the result to a single JSON object",
        "The result contains 0 rows",
    )


def test_singular_on_a_set_returning_function(api: Gateway) -> None:
    assert_json(
        api.get("/rpc/getitemrange?min=1&max=2", headers=OBJECT),
        200,
        {"id": 2},
        content_type=OBJECT_CT,
    )
    assert_error(
        api.post("/rpc/getitemrange", json={"min": 0, "max": 3}, headers=OBJECT),
        406,
        "PGRST116",
        "Cannot coerce the result to a single JSON object",
        "The result contains 3 rows",
    )


def test_singular_head(api: Gateway) -> None:
    resp = api.head("/items?id=eq.5", headers=OBJECT)
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == OBJECT_CT
    assert resp.content == b""


def test_json_content_type_has_charset(api: Gateway) -> None:
    assert api.get("/items?id=eq.1").headers["Content-Type"] == JSON_CT


ARRAY_STRIPPED_CT = "application/vnd.pgrst.array+json;nulls=stripped; charset=utf-8"
OBJECT_STRIPPED_CT = "application/vnd.pgrst.object+json;nulls=stripped; charset=utf-8"


def test_vnd_array_is_plain_json(api: Gateway) -> None:
    # MediaType.hs: application/vnd.pgrst.array+json decodes to application/json.
    resp = api.get("/items?id=eq.1", headers={"Accept": "application/vnd.pgrst.array+json"})
    assert_json(resp, 200, ids(1))


def test_array_with_nulls_stripped(api: Gateway) -> None:
    resp = api.get(
        "/scores?select=id,score,stats&id=in.(2,4)&order=id",
        headers={"Accept": "application/vnd.pgrst.array+json;nulls=stripped"},
    )
    assert_json(
        resp,
        200,
        [{"id": 2, "stats": {"level": 1, "rank": {"pos": 1}}}, {"id": 4, "score": 20}],
        content_type=ARRAY_STRIPPED_CT,
    )


def test_object_with_nulls_stripped(api: Gateway) -> None:
    resp = api.get(
        "/scores?select=id,score&id=eq.2",
        headers={"Accept": "application/vnd.pgrst.object+json;nulls=stripped"},
    )
    assert_json(resp, 200, {"id": 2}, content_type=OBJECT_STRIPPED_CT)


def test_vnd_object_without_json_suffix(api: Gateway) -> None:
    resp = api.get("/items?id=eq.3", headers={"Accept": "application/vnd.pgrst.object"})
    assert_json(resp, 200, {"id": 3}, content_type=OBJECT_CT)

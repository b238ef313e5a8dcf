"""What a request sets before its main query, in one transaction: role,
request.jwt.claims, request.headers, request.cookies, request.method, request.path,
search_path, then db-pre-request; and response.status/response.headers set by SQL.
Ported from PostgREST's RpcSpec.hs ("HTTP request env vars", "GUC headers") and
RpcPreRequestGucsSpec.hs.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.gateway.conftest import Gateway, GatewayFactory, bearer, mint_jwt
from tests.gateway.spec._http import assert_error, assert_json, body_json


def context(gw: Gateway, **kwargs: Any) -> dict[str, Any]:
    resp = gw.get("/rpc/request_context", **kwargs)
    assert resp.status_code == 200, resp.text
    result: dict[str, Any] = body_json(resp)
    return result


def search_path(value: str) -> list[str]:
    return [part.strip().strip('"') for part in value.split(",")]


def test_anonymous_request(api: Gateway) -> None:
    ctx = context(api)
    assert ctx["role"] == "gw_anon"
    assert ctx["claims"] == {"role": "gw_anon"}
    assert ctx["method"] == "GET"
    assert ctx["path"] == "/rpc/request_context"
    assert ctx["pre_request"] is None


def test_claims_of_a_signed_in_request(api: Gateway) -> None:
    claims = {
        "role": "gw_user",
        "sub": "user-1",
        "email": "u@example.com",
        "exp": int(time.time()) + 300,
        "nested": {"a": [1, 2]},
    }
    ctx = context(api, headers=bearer(mint_jwt(claims)))
    assert ctx["role"] == "gw_user"
    assert ctx["claims"] == claims


def test_headers_are_available_lowercased(api: Gateway) -> None:
    ctx = context(api, headers={"X-Probe": "hello there"})
    assert ctx["x_probe"] == "hello there"


def test_cookies_are_available(api: Gateway) -> None:
    ctx = context(api, headers={"Cookie": "other=1; session=abc123"})
    assert ctx["cookie_session"] == "abc123"


def test_method_and_path_of_a_post(api: Gateway) -> None:
    resp = api.post("/rpc/request_context", json={})
    assert resp.status_code == 200
    ctx = body_json(resp)
    assert (ctx["method"], ctx["path"]) == ("POST", "/rpc/request_context")


def test_search_path_is_the_schema_then_extra_search_path(api: Gateway) -> None:
    assert search_path(context(api)["search_path"]) == ["test", "public"]


def test_search_path_follows_the_profile(api: Gateway) -> None:
    resp = api.get("/rpc/request_search_path", headers={"Accept-Profile": "v2"})
    assert resp.status_code == 200, resp.text
    assert search_path(body_json(resp)) == ["v2", "public"]


def test_settings_do_not_leak_between_requests(api: Gateway) -> None:
    context(api, headers={"X-Probe": "first", "Cookie": "session=one"})
    ctx = context(api)
    assert ctx["x_probe"] is None
    assert ctx["cookie_session"] is None
    assert ctx["role"] == "gw_anon"


def test_authorization_header_is_visible_to_sql(api: Gateway) -> None:
    token = mint_jwt({"role": "gw_user"})
    resp = api.get("/rpc/request_context", headers={**bearer(token), "X-Probe": token})
    assert resp.status_code == 200
    assert body_json(resp)["x_probe"] == token


def test_response_status_and_headers_set_by_sql(api: Gateway) -> None:
    resp = api.get("/rpc/set_status_and_headers")
    assert_json(
        resp,
        202,
        "accepted",
        headers={"X-Custom": "custom value", "Cache-Control": "max-age=60"},
    )


def test_invalid_response_status_is_pgrst112(api: Gateway) -> None:
    assert_error(
        api.get("/rpc/set_invalid_status"),
        500,
        "PGRST112",
        "response.status guc must be a valid status code",
    )


@pytest.fixture(scope="module")
def pre_request_gateway(start_gateway: GatewayFactory) -> Gateway:
    return start_gateway(PGRST_DB_PRE_REQUEST="test.pre_request")


def test_pre_request_runs_in_the_same_transaction_before_the_main_query(
    pre_request_gateway: Gateway,
) -> None:
    resp = pre_request_gateway.get("/rpc/request_context")
    assert resp.status_code == 200
    assert body_json(resp)["pre_request"] == "yes"
    assert resp.headers["X-Pre-Request"] == "ran"


def test_pre_request_runs_for_table_reads(pre_request_gateway: Gateway) -> None:
    resp = pre_request_gateway.get("/items?id=eq.1")
    assert_json(resp, 200, [{"id": 1}], headers={"X-Pre-Request": "ran"})


def test_pre_request_can_reject_the_request(pre_request_gateway: Gateway) -> None:
    assert_error(
        pre_request_gateway.get("/items", headers={"X-Block": "yes"}),
        403,
        "PT403",
        "blocked by pre-request",
        "X-Block was set",
        "remove the header",
    )


def test_pre_request_sees_the_role_and_claims(pre_request_gateway: Gateway) -> None:
    token = mint_jwt({"role": "gw_user", "exp": int(time.time()) + 60})
    ctx = context(pre_request_gateway, headers=bearer(token))
    assert (ctx["role"], ctx["pre_request"]) == ("gw_user", "yes")


def test_the_same_header_twice(api: Gateway) -> None:
    resp = api.get("/rpc/set_cookie_twice")
    assert resp.status_code == 204
    assert "Content-Type" not in resp.headers
    assert resp.raw.headers.getlist("Set-Cookie") == [
        "sessionid=38afes7a8; HttpOnly; Path=/",
        "id=a3fWa; Expires=Wed, 21 Oct 2015 07:28:00 GMT; Secure; HttpOnly",
    ]


def test_malformed_response_headers_is_pgrst111(api: Gateway) -> None:
    assert_error(
        api.get("/rpc/bad_guc_headers"),
        500,
        "PGRST111",
        "response.headers guc must be a JSON array composed of objects with a single key and a"
        " string value",
    )

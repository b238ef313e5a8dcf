"""Error bodies and PostgREST's SQLSTATE → HTTP status table (src/PostgREST/Error.hs,
docs "Errors > HTTP Status Codes"), custom PT### statuses and RAISE SQLSTATE 'PGRST'.
Every error is {code, message, details, hint}; no stack trace ever reaches a client.
"""

from __future__ import annotations

import pytest

from tests.gateway.conftest import Gateway, user_headers
from tests.gateway.spec._http import assert_error, assert_json

STATUS_TABLE = [
    ("08000", 503),
    ("09000", 500),
    ("0L000", 403),
    ("0P000", 403),
    ("21000", 500),
    ("22012", 400),
    ("22023", 400),
    ("23502", 400),
    ("23503", 409),
    ("23505", 409),
    ("25006", 405),
    ("25001", 500),
    ("28000", 403),
    ("2D000", 500),
    ("38000", 500),
    ("39000", 500),
    ("3B000", 500),
    ("40001", 500),
    ("42P01", 404),
    ("42P17", 500),
    ("42883", 404),
    ("42703", 400),
    ("53400", 500),
    ("53100", 503),
    ("54000", 500),
    ("55000", 500),
    ("57P01", 503),
    ("57014", 500),
    ("58000", 500),
    ("F0000", 500),
    ("HV000", 500),
    ("P0001", 400),
    ("P0002", 500),
    ("XX000", 500),
]


@pytest.mark.parametrize(("sqlstate", "status"), STATUS_TABLE)
def test_sqlstate_maps_to_status(api: Gateway, sqlstate: str, status: int) -> None:
    assert_error(
        api.get(f"/rpc/raise_sqlstate?state={sqlstate}"),
        status,
        sqlstate,
        "raised on purpose",
        f"detail for {sqlstate}",
        f"hint for {sqlstate}",
    )


def test_insufficient_privilege_is_401_for_anon_with_challenge(api: Gateway) -> None:
    assert_error(
        api.get("/rpc/raise_sqlstate?state=42501"),
        401,
        "42501",
        "raised on purpose",
        "detail for 42501",
        "hint for 42501",
        headers={"WWW-Authenticate": "Bearer"},
    )


def test_insufficient_privilege_is_403_when_signed_in(api: Gateway) -> None:
    resp = api.get("/rpc/raise_sqlstate?state=42501", headers=user_headers())
    assert_error(resp, 403, "42501", "raised on purpose", "detail for 42501", "hint for 42501")
    assert "WWW-Authenticate" not in resp.headers


def test_nonexistent_role_message_maps_22023_to_401(api: Gateway) -> None:
    resp = api.get(
        "/rpc/raise_sqlstate", params={"state": "22023", "msg": 'role "x" does not exist'}
    )
    assert resp.status_code == 401
    assert resp.json()["code"] == "22023"


def test_safeupdate_message_maps_21000_to_400(api: Gateway) -> None:
    resp = api.get(
        "/rpc/raise_sqlstate", params={"state": "21000", "msg": "DELETE requires a WHERE clause"}
    )
    assert resp.status_code == 400
    assert resp.json()["code"] == "21000"


def test_plain_raise_exception_is_400_p0001(api: Gateway) -> None:
    assert_error(api.get("/rpc/problem"), 400, "P0001", "bad thing happened")


def test_division_by_zero(api: Gateway) -> None:
    assert_error(api.get("/rpc/divide_by_zero"), 400, "22012", "division by zero")


def test_pt_status_code(api: Gateway) -> None:
    assert_error(
        api.get("/rpc/raise_pt402"),
        402,
        "PT402",
        "Payment Required",
        "Quota exceeded",
        "Upgrade your plan",
    )


def test_pt_followed_by_non_number_is_500(api: Gateway) -> None:
    assert_error(api.get("/rpc/raise_bad_pt"), 500, "PT40A", "Wrong")


def test_raise_pgrst_controls_status_headers_and_body(api: Gateway) -> None:
    resp = api.get("/rpc/raise_pgrst_custom")
    assert_json(
        resp,
        332,
        {"code": "123", "message": "ABC", "details": "DEF", "hint": "XYZ"},
        headers={"X-Header": "str"},
    )


def test_raise_pgrst_with_bad_detail_is_pgrst121(api: Gateway) -> None:
    assert_error(
        api.get("/rpc/raise_pgrst_no_status"),
        500,
        "PGRST121",
        "Could not parse JSON in the \"RAISE SQLSTATE 'PGRST'\" error",
        'Invalid JSON value for DETAIL: \'{"status":"not a number"}\'',
        "DETAIL must be a JSON object with obligatory keys: 'status', 'headers'"
        " and optional key: 'status_text'.",
    )


def test_raise_pgrst_with_bad_message_is_pgrst121(api: Gateway) -> None:
    assert_error(
        api.get("/rpc/raise_pgrst_invalid_json"),
        500,
        "PGRST121",
        "Could not parse JSON in the \"RAISE SQLSTATE 'PGRST'\" error",
        "Invalid JSON value for MESSAGE: 'not json'",
        "MESSAGE must be a JSON object with obligatory keys: 'code', 'message'"
        " and optional keys: 'details', 'hint'.",
    )


ODD_REQUESTS = [
    ("GET", "/items?limit=99999999999999999999999999"),
    ("GET", "/items?offset=-99999999999999999999999"),
    ("GET", "/items?id=eq.99999999999999999999999999"),
    ("GET", "/items?select=id::"),
    ("GET", "/items?select=,,,"),
    ("GET", "/items?order=,"),
    ("GET", "/items?and=(,)"),
    ("GET", "/complex_items?settings->=eq.1"),
    ("GET", "/rpc/add_them?a=99999999999&b=1"),
    ("GET", "/%00"),
    ("GET", "/items?id=eq.%00"),
    ("GET", "/rpc/sayhello?name=%00"),
    ("POST", "/rpc/add_them"),
    ("PUT", "/rpc/add_them"),
    ("TRACE", "/items"),
]


@pytest.mark.parametrize(("method", "path"), ODD_REQUESTS)
def test_odd_requests_get_postgrest_shaped_errors_and_no_traceback(
    api: Gateway, method: str, path: str
) -> None:
    headers = {"Content-Type": "application/json"}
    data = b"{" if method in ("POST", "PUT") else None
    resp = api.request(method, path, headers=headers, data=data)
    text = resp.text
    assert "Traceback" not in text
    assert 'File "' not in text
    assert "asyncpg" not in text
    if resp.status_code >= 400 and resp.content:
        body = resp.json()
        assert set(body) == {"code", "message", "details", "hint"}, body
        assert resp.headers["Content-Type"] == "application/json; charset=utf-8"


@pytest.mark.parametrize(
    ("path", "headers", "code"),
    [
        ("/items?select=id::", {}, "PGRST100"),
        ("/xyzzy_nothing_like_it", {}, "PGRST205"),
        ("/items", {"Accept": "application/vnd.pgrst.object+json"}, "PGRST116"),
        ("/rpc/raise_pt402", {}, "PT402"),
        ("/rpc/problem", {}, "P0001"),
    ],
)
def test_errors_carry_proxy_status(
    api: Gateway, path: str, headers: dict[str, str], code: str
) -> None:
    # v13 (#2967): every error response names its code in Proxy-Status (Error.hs).
    resp = api.get(path, headers=headers)
    assert resp.status_code >= 400
    assert resp.json()["code"] == code
    assert resp.headers["Proxy-Status"] == f"PostgREST; error={code}"


def test_raise_pgrst_without_detail_is_pgrst121(api: Gateway) -> None:
    assert_error(
        api.get("/rpc/raise_pgrst_missing_detail"),
        500,
        "PGRST121",
        "Could not parse JSON in the \"RAISE SQLSTATE 'PGRST'\" error",
        "DETAIL is missing in the RAISE statement",
        "DETAIL must be a JSON object with obligatory keys: 'status', 'headers'"
        " and optional key: 'status_text'.",
    )


def test_raise_pgrst_with_status_text(api: Gateway) -> None:
    # ASGI cannot carry a custom reason phrase, so only status, headers and body are pinned.
    assert_json(
        api.get("/rpc/raise_pgrst_status_text"),
        404,
        {"code": "123", "message": "ABC", "details": None, "hint": None},
        headers={"X-Header": "str"},
    )

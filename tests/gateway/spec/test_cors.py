"""CORS as PostgREST answers it (CorsSpec.hs): permissive preflight, exposed headers on
regular responses, and Access-Control-Allow-Origin on OPTIONS without preflight headers.
"""

from __future__ import annotations

from tests.gateway.conftest import Gateway

EXPOSED = (
    "Content-Encoding, Content-Location, Content-Range, Content-Type, "
    "Date, Location, Server, Transfer-Encoding, Range-Unit"
)


def test_preflight_is_permissive(api: Gateway) -> None:
    resp = api.options(
        "/",
        headers={
            "Accept": "*/*",
            "Origin": "http://example.com",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Foo,Bar",
        },
    )
    assert resp.status_code == 200
    assert resp.content == b""
    assert resp.headers["Access-Control-Allow-Origin"] == "*"
    assert resp.headers["Access-Control-Allow-Methods"] == (
        "GET, POST, PATCH, PUT, DELETE, OPTIONS, HEAD"
    )
    assert resp.headers["Access-Control-Allow-Headers"] == (
        "Authorization, Foo, Bar, Accept, Accept-Language, Content-Language"
    )
    assert resp.headers["Access-Control-Max-Age"] == "86400"


def test_regular_request_exposes_headers(api: Gateway) -> None:
    resp = api.get("/items?id=eq.1", headers={"Origin": "http://example.com"})
    assert resp.status_code == 200
    assert resp.headers["Access-Control-Expose-Headers"] == EXPOSED


def test_options_without_preflight_headers_allows_any_origin(api: Gateway) -> None:
    resp = api.options("/items", headers={"Accept": "application/json"})
    assert resp.status_code == 200
    assert resp.content == b""
    assert resp.headers["Access-Control-Allow-Origin"] == "*"
    resp = api.options("/items", headers={"Origin": "http://localhost:8000", "Accept": "text/csv"})
    assert resp.headers["Access-Control-Allow-Origin"] == "*"

"""CORS with `server-cors-allowed-origins` (PostgREST's Cors.hs over wai-cors, and
test/io/test_cors.py): a listed origin is echoed with Access-Control-Allow-Credentials,
an unlisted one gets no CORS headers on a regular request, and an empty list means any
origin ("*"). Also preflights for writes (Prefer, Content-Type) and exposed headers on
write responses (Location, Content-Range).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from requests.structures import CaseInsensitiveDict

from taproot.database import Database
from tests.gateway.conftest import Gateway, GatewayFactory

EXPOSED = (
    "Content-Encoding, Content-Location, Content-Range, Content-Type, "
    "Date, Location, Server, Transfer-Encoding, Range-Unit"
)
ALLOWED = "http://example.com, http://example2.com"


@pytest.fixture(scope="module")
def restricted(start_gateway: GatewayFactory) -> Gateway:
    return start_gateway(PGRST_SERVER_CORS_ALLOWED_ORIGINS=ALLOWED)


@pytest.fixture
def restore_writes(spec_db: Database) -> Iterator[None]:
    with spec_db.connect() as conn:
        conn.execute("SELECT private.reset_writes()")
    yield
    with spec_db.connect() as conn:
        conn.execute("SELECT private.reset_writes()")


def preflight(gw: Gateway, origin: str, method: str, headers: str) -> CaseInsensitiveDict[str]:
    resp = gw.options(
        "/todos",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": headers,
        },
    )
    assert resp.status_code == 200, resp.text
    assert resp.content == b""
    return resp.headers


def test_preflight_from_an_allowed_origin_echoes_it(restricted: Gateway) -> None:
    headers = preflight(restricted, "http://example.com", "POST", "Content-Type")
    assert headers["Access-Control-Allow-Origin"] == "http://example.com"
    assert headers["Access-Control-Allow-Credentials"] == "true"
    assert headers["Access-Control-Allow-Headers"] == (
        "Authorization, Content-Type, Accept, Accept-Language, Content-Language"
    )
    assert headers["Access-Control-Max-Age"] == "86400"


def test_every_listed_origin_is_allowed(restricted: Gateway) -> None:
    headers = preflight(restricted, "http://example2.com", "PATCH", "Prefer")
    assert headers["Access-Control-Allow-Origin"] == "http://example2.com"


def test_regular_request_from_an_allowed_origin(restricted: Gateway) -> None:
    resp = restricted.get("/books?id=eq.1&select=id", headers={"Origin": "http://example.com"})
    assert resp.status_code == 200, resp.text
    assert resp.headers["Access-Control-Allow-Origin"] == "http://example.com"
    assert resp.headers["Access-Control-Allow-Credentials"] == "true"
    assert resp.headers["Access-Control-Expose-Headers"] == EXPOSED


def test_regular_request_from_another_origin_gets_no_cors_headers(restricted: Gateway) -> None:
    resp = restricted.get("/books?id=eq.1&select=id", headers={"Origin": "http://invalid.com"})
    assert resp.status_code == 200, resp.text
    assert resp.json() == [{"id": 1}]
    for name in (
        "Access-Control-Allow-Origin",
        "Access-Control-Allow-Credentials",
        "Access-Control-Expose-Headers",
    ):
        assert name not in resp.headers, resp.headers


def test_empty_allowed_origins_allows_any_origin(start_gateway: GatewayFactory) -> None:
    gw = start_gateway(PGRST_SERVER_CORS_ALLOWED_ORIGINS="")
    headers = preflight(gw, "http://anyorigin.com", "POST", "Content-Type")
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in headers["Access-Control-Allow-Methods"]


def test_default_preflight_for_a_write_with_prefer(gateway: Gateway) -> None:
    headers = preflight(gateway, "http://example.com", "PATCH", "Prefer, Content-Type")
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert headers["Access-Control-Allow-Headers"] == (
        "Authorization, Prefer, Content-Type, Accept, Accept-Language, Content-Language"
    )
    assert "Access-Control-Allow-Credentials" not in headers


@pytest.mark.usefixtures("restore_writes")
def test_write_response_exposes_location_and_content_range(gateway: Gateway) -> None:
    resp = gateway.post(
        "/todos",
        json={"title": "cors"},
        headers={"Origin": "http://example.com", "Prefer": "return=headers-only"},
    )
    assert resp.status_code == 201, resp.text
    assert resp.headers["Access-Control-Allow-Origin"] == "*"
    assert resp.headers["Access-Control-Expose-Headers"] == EXPOSED
    assert resp.headers["Location"] == "/todos?id=eq.4"


def test_error_responses_carry_cors_headers(restricted: Gateway) -> None:
    resp = restricted.get("/books?select=nope", headers={"Origin": "http://example.com"})
    assert resp.status_code == 400, resp.text
    assert resp.headers["Access-Control-Allow-Origin"] == "http://example.com"
    assert resp.headers["Access-Control-Expose-Headers"] == EXPOSED

"""`server-trace-header` (e.g. X-Request-Id): the request's value is echoed on the
response, for the root, tables, RPC and writes; nothing is echoed when the option is not
set. Ported from PostgREST's ObservabilitySpec.hs.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from taproot.database import Database
from tests.gateway.conftest import Gateway, GatewayFactory


@pytest.fixture(scope="module")
def traced(start_gateway: GatewayFactory) -> Gateway:
    return start_gateway(PGRST_SERVER_TRACE_HEADER="X-Request-Id")


@pytest.fixture
def restore_writes(spec_db: Database) -> Iterator[None]:
    with spec_db.connect() as conn:
        conn.execute("SELECT private.reset_writes()")
    yield
    with spec_db.connect() as conn:
        conn.execute("SELECT private.reset_writes()")


@pytest.mark.parametrize(
    ("path", "value"),
    [("/", "1"), ("/books", "2"), ("/rpc/add_them?a=2&b=4", "3")],
)
def test_head_requests_echo_the_trace_header(traced: Gateway, path: str, value: str) -> None:
    resp = traced.head(path, headers={"X-Request-Id": value})
    assert resp.status_code == 200, resp.text
    assert resp.headers["X-Request-Id"] == value


def test_get_echoes_the_trace_header(traced: Gateway) -> None:
    resp = traced.get("/books?id=eq.1&select=id", headers={"X-Request-Id": "abc-123"})
    assert resp.status_code == 200, resp.text
    assert resp.headers["X-Request-Id"] == "abc-123"


def test_header_name_is_case_insensitive(traced: Gateway) -> None:
    resp = traced.get("/books?id=eq.1&select=id", headers={"x-request-id": "lower"})
    assert resp.headers["X-Request-Id"] == "lower"


@pytest.mark.usefixtures("restore_writes")
def test_write_echoes_the_trace_header(traced: Gateway) -> None:
    resp = traced.post("/todos", json={"title": "traced"}, headers={"X-Request-Id": "w-1"})
    assert resp.status_code == 201, resp.text
    assert resp.headers["X-Request-Id"] == "w-1"


def test_no_request_header_means_no_response_header(traced: Gateway) -> None:
    resp = traced.get("/books?id=eq.1&select=id")
    assert resp.status_code == 200, resp.text
    assert "X-Request-Id" not in resp.headers


def test_not_echoed_when_unconfigured(api: Gateway) -> None:
    resp = api.get("/books?id=eq.1&select=id", headers={"X-Request-Id": "nope"})
    assert resp.status_code == 200, resp.text
    assert "X-Request-Id" not in resp.headers

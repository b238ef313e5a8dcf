"""`Server-Timing` when `server-timing-enabled`: the stages jwt, parse, plan, transaction
and response, each as `name;dur=<ms with a fraction>`, on reads, writes, RPC and the root;
OPTIONS has no plan or transaction stage; absent when disabled (the default). Ported
from PostgREST's ServerTimingSpec.hs (matchServerTimingHasTiming in SpecHelper.hs) and
Response/Performance.hs (", "-separated, showFFloat (Just 1)).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import requests

from taproot.database import Database
from tests.gateway.conftest import Gateway, GatewayFactory, user_headers

STAGES = ("jwt", "parse", "plan", "transaction", "response")
METRIC = re.compile(r"^([a-z]+);dur=(\d+\.\d+)$")


@pytest.fixture(scope="module")
def timed(start_gateway: GatewayFactory) -> Gateway:
    return start_gateway(PGRST_SERVER_TIMING_ENABLED="true")


@pytest.fixture
def restore_writes(spec_db: Database) -> Iterator[None]:
    with spec_db.connect() as conn:
        conn.execute("SELECT private.reset_writes()")
    yield
    with spec_db.connect() as conn:
        conn.execute("SELECT private.reset_writes()")


def timings(resp: requests.Response) -> list[str]:
    """The metric names of Server-Timing, each checked to carry a duration."""
    header = resp.headers.get("Server-Timing")
    assert header is not None, resp.headers
    names = []
    for metric in header.split(", "):
        match = METRIC.match(metric)
        assert match is not None, header
        names.append(match.group(1))
    return names


def test_read(timed: Gateway) -> None:
    resp = timed.get("/books?id=eq.1&select=id")
    assert resp.status_code == 200, resp.text
    assert timings(resp) == list(STAGES)


def test_read_with_a_jwt(timed: Gateway) -> None:
    resp = timed.get("/books?id=eq.1&select=id", headers=user_headers())
    assert resp.status_code == 200, resp.text
    assert timings(resp) == list(STAGES)


@pytest.mark.usefixtures("restore_writes")
@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("POST", "/todos?select=id", {"title": "timed"}, 201),
        ("PATCH", "/todos?id=eq.1", {"done": False}, 204),
        ("PUT", "/languages?name=eq.Go", {"name": "Go", "rank": 1}, 204),
        ("DELETE", "/todos?id=eq.1", None, 204),
    ],
)
def test_writes(timed: Gateway, method: str, path: str, body: object, status: int) -> None:
    resp = timed.request(method, path, json=body)
    assert resp.status_code == status, resp.text
    assert timings(resp) == list(STAGES)


def test_rpc(timed: Gateway) -> None:
    resp = timed.get("/rpc/add_them?a=1&b=2")
    assert resp.status_code == 200, resp.text
    assert timings(resp) == list(STAGES)


def test_root(timed: Gateway) -> None:
    resp = timed.head("/")
    assert resp.status_code == 200, resp.text
    assert timings(resp) == list(STAGES)


@pytest.mark.parametrize("path", ["/todos", "/rpc/add_them", "/"])
def test_options_has_no_plan_or_transaction(timed: Gateway, path: str) -> None:
    resp = timed.options(path)
    assert resp.status_code == 200, resp.text
    assert timings(resp) == ["jwt", "parse", "response"]


def test_absent_when_disabled(api: Gateway) -> None:
    resp = api.get("/books?id=eq.1&select=id")
    assert resp.status_code == 200, resp.text
    assert "Server-Timing" not in resp.headers

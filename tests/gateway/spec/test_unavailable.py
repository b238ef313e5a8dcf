"""When the database cannot serve: down (503), pool exhausted (504), and health.

PostgREST answers 503 PGRST002 while it has never loaded a schema cache (database
unreachable at start) and 504 PGRST003 when no pooled connection frees up within
db-pool-acquisition-timeout (Error.hs). Health is Taproot's: docs/operations.md.
"""

from __future__ import annotations

import threading
import time

import pytest
import requests

from tests.gateway.conftest import Gateway, GatewayFactory, dead_db_url
from tests.gateway.spec._http import assert_error, assert_json, body_json, ids


@pytest.fixture(scope="module")
def dead(start_gateway: GatewayFactory) -> Gateway:
    return start_gateway(PGRST_DB_URI=dead_db_url())


def test_reads_are_503_when_the_database_is_down(dead: Gateway) -> None:
    assert_error(
        dead.get("/items"),
        503,
        "PGRST002",
        "Could not query the database for the schema cache. Retrying.",
    )


def test_rpc_is_503_when_the_database_is_down(dead: Gateway) -> None:
    resp = dead.post("/rpc/add_them", json={"a": 1, "b": 2})
    assert resp.status_code == 503
    assert resp.json()["code"] == "PGRST002"


def test_ready_is_503_and_health_200_when_the_database_is_down(dead: Gateway) -> None:
    resp = dead.get("/ready")
    assert resp.status_code == 503
    body = body_json(resp)
    assert body["database"] == "unavailable"
    assert body.get("status") != "ready"
    # liveness asks nothing of the database: the process is alive and says so
    assert dead.get("/health").status_code == 200
    assert dead.get("/live").status_code == 200


def test_health_and_ready_are_200_when_all_is_well(api: Gateway) -> None:
    resp = api.get("/health")
    assert resp.status_code == 200
    assert resp.headers["Content-Type"].startswith("application/json")
    assert body_json(resp)["status"] == "ok"
    ready = api.get("/ready")
    assert ready.status_code == 200
    assert (body_json(ready)["status"], body_json(ready)["database"]) == ("ready", "ok")


@pytest.fixture(scope="module")
def rooted(start_gateway: GatewayFactory) -> Gateway:
    return start_gateway(PGRST_SERVER_ROOT_PATH="/api")


def test_root_path_prefixes_every_route(rooted: Gateway) -> None:
    assert_json(rooted.get("/api/items?id=eq.1"), 200, ids(1))
    assert_json(rooted.get("/api/rpc/add_them?a=1&b=1"), 200, 2)
    assert rooted.get("/api/health").status_code == 200
    assert rooted.get("/api/").json()["swagger"] == "2.0"


def test_outside_the_root_path_is_404(rooted: Gateway) -> None:
    assert rooted.get("/items?id=eq.1").status_code == 404


@pytest.fixture(scope="module")
def tiny_pool(start_gateway: GatewayFactory) -> Gateway:
    return start_gateway(PGRST_DB_POOL="1", PGRST_DB_POOL_ACQUISITION_TIMEOUT="1")


def test_pool_acquisition_timeout_is_504(tiny_pool: Gateway) -> None:
    results: dict[str, requests.Response] = {}

    def hold_the_only_connection() -> None:
        with requests.Session() as session:
            results["slow"] = session.get(tiny_pool.url + "/rpc/sleep?seconds=4", timeout=30)

    sleeper = threading.Thread(target=hold_the_only_connection)
    sleeper.start()
    time.sleep(1.0)
    try:
        with requests.Session() as session:
            resp = session.get(tiny_pool.url + "/items?id=eq.1", timeout=30)
        assert_error(resp, 504, "PGRST003", "Timed out acquiring connection from connection pool.")
    finally:
        sleeper.join(timeout=30)
    assert results["slow"].status_code == 204
    # The pool recovers once the slow request is done.
    assert_json(tiny_pool.get("/items?id=eq.1"), 200, ids(1))

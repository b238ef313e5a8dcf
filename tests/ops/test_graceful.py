"""Graceful failure: an exhausted pool answers 504 within its acquisition timeout, never
hangs; SIGTERM refuses new connections, lets the in-flight request finish, closes the
pools and exits 0 (gateway and sidecar); idle keep-alive lasts at least 30 s by default.

A request is made slow by an ACCESS EXCLUSIVE lock on the table it reads: it waits in
PostgreSQL, holding its pooled connection, until the test lets go.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from taproot.database import Database
from tests.ops.processes import Procs, locked, port_of, refused, wait_exit, waiting_on_lock
from tests.stack import wait_for

KEY = {"Authorization": "Bearer tpk_not_a_real_key_0001"}
CHAT = {"model": "fake-chat", "messages": [{"role": "user", "content": "hi"}]}


@pytest.fixture
def procs(tmp_path: Path) -> Iterator[Procs]:
    started = Procs(tmp_path)
    try:
        yield started
    finally:
        started.stop_all()


class InFlight:
    """`call()` in a thread; `result` is its response (or the exception it raised)."""

    def __init__(self, call: Callable[[], requests.Response]) -> None:
        self.result: Any = None
        self._thread = threading.Thread(target=self._run, args=(call,), daemon=True)
        self._thread.start()

    def _run(self, call: Callable[[], requests.Response]) -> None:
        try:
            self.result = call()
        except Exception as exc:
            self.result = exc

    def join(self, timeout: float) -> Any:
        self._thread.join(timeout)
        assert not self._thread.is_alive(), "the in-flight request did not finish"
        return self.result


def _gateway_read(url: str) -> Callable[[], requests.Response]:
    return lambda: requests.get(url + "/api_keys", timeout=30)


def _sidecar_chat(url: str) -> Callable[[], requests.Response]:
    return lambda: requests.post(url + "/v1/chat/completions", json=CHAT, headers=KEY, timeout=30)


def test_gateway_pool_exhausted_is_504_within_the_acquisition_timeout(
    app_db: Database, procs: Procs
) -> None:
    _, url = procs.gateway(
        app_db, PGRST_DB_POOL="1", PGRST_DB_POOL_ACQUISITION_TIMEOUT="1", PGRST_LOG_LEVEL="error"
    )
    with locked(app_db, "api.api_keys"):
        holder = InFlight(_gateway_read(url))
        wait_for(lambda: waiting_on_lock(app_db, "taproot-gateway"), timeout=10, what="blocked")
        started = time.monotonic()
        answer = _gateway_read(url)()
        took = time.monotonic() - started
    assert answer.status_code == 504, answer.text
    assert answer.json()["code"] == "PGRST003"
    assert 0.9 <= took < 3, took
    first = holder.join(10)
    assert isinstance(first, requests.Response) and first.status_code < 500, first


def test_sidecar_pool_exhausted_is_504_within_the_pool_timeout(
    app_db: Database, procs: Procs
) -> None:
    _, url, _ = procs.sidecar(
        app_db,
        TAPROOT_SIDECAR_DB_POOL="1",
        TAPROOT_SIDECAR_DB_POOL_TIMEOUT="1",
        TAPROOT_SIDECAR_RATE_LIMIT_ENABLED="false",
    )
    with locked(app_db, "api.api_keys"):
        holder = InFlight(_sidecar_chat(url))
        wait_for(lambda: waiting_on_lock(app_db, "taproot-sidecar"), timeout=10, what="blocked")
        started = time.monotonic()
        answer = _sidecar_chat(url)()
        took = time.monotonic() - started
    assert answer.status_code == 504, answer.text
    assert "pool is exhausted" in answer.json()["error"]["message"]
    assert 0.9 <= took < 3, took
    first = holder.join(10)
    assert isinstance(first, requests.Response) and first.status_code == 401, first


def test_gateway_sigterm_drains_then_exits_0(app_db: Database, procs: Procs) -> None:
    gateway, url = procs.gateway(app_db, TAPROOT_SHUTDOWN_TIMEOUT="10")
    with locked(app_db, "api.api_keys"):
        holder = InFlight(_gateway_read(url))
        wait_for(lambda: waiting_on_lock(app_db, "taproot-gateway"), timeout=10, what="blocked")
        gateway.send(signal.SIGTERM)
        wait_for(lambda: refused(port_of(url)), timeout=5, what="new connections refused")
        time.sleep(0.5)
        assert gateway.alive(), "the gateway must wait for its in-flight request"
    first = holder.join(10)
    assert isinstance(first, requests.Response) and first.status_code < 500, first
    assert wait_exit(gateway, 10) == 0, gateway.output()
    assert "pools closed" in gateway.output()


def test_sidecar_sigterm_drains_then_exits_0(app_db: Database, procs: Procs) -> None:
    sidecar, url, port = procs.sidecar(app_db, TAPROOT_SIDECAR_RATE_LIMIT_ENABLED="false")
    with locked(app_db, "api.api_keys"):
        holder = InFlight(_sidecar_chat(url))
        wait_for(lambda: waiting_on_lock(app_db, "taproot-sidecar"), timeout=10, what="blocked")
        sidecar.send(signal.SIGTERM)
        wait_for(lambda: refused(port), timeout=5, what="new connections refused")
        time.sleep(0.5)
        assert sidecar.alive(), "the sidecar must wait for its in-flight request"
    first = holder.join(10)
    assert isinstance(first, requests.Response) and first.status_code == 401, first
    assert wait_exit(sidecar, 15) == 0, sidecar.output()


def test_idle_keep_alive_is_at_least_30_seconds_by_default() -> None:
    from sidecar.settings import load as sidecar_settings

    from gateway.config import load as gateway_config

    assert gateway_config({}).keepalive_seconds >= 30
    assert gateway_config({"TAPROOT_KEEPALIVE_SECONDS": "120"}).keepalive_seconds == 120
    env = {"TAPROOT_SIDECAR_DB_URI": "postgresql://", "PGRST_JWT_SECRET": "x" * 32}
    settings = sidecar_settings(env)
    assert settings.keepalive >= 30

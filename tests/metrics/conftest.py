"""A `taproot up` stack (tests/ops/conftest.py's, with 2 gateway and 2 sidecar processes)
and a real Prometheus server (Debian's `prometheus`) scraping it with the shipped config.

Every process is stopped whatever the test did: Prometheus with SIGTERM, the stack with
Ctrl-C (SIGINT), its cluster removed with `taproot db reset`.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from taproot import ROOT
from taproot.cluster import free_port
from tests.ops.conftest import UpStack as Stack
from tests.ops.conftest import start_up

SHIPPED = ROOT / "ops" / "prometheus"


@dataclass
class Prometheus:
    url: str
    proc: subprocess.Popen[bytes]
    log: Path

    def query(self, expr: str) -> list[dict[str, Any]]:
        answer = httpx.get(f"{self.url}/api/v1/query", params={"query": expr}, timeout=10)
        body = answer.json()
        assert answer.status_code == 200 and body["status"] == "success", (expr, body)
        result: list[dict[str, Any]] = body["data"]["result"]
        return result

    def value(self, expr: str) -> float | None:
        """The single value of `expr` (a scalar-like vector), or None when it is empty."""
        result = self.query(expr)
        if not result:
            return None
        assert len(result) == 1, (expr, result)
        return float(result[0]["value"][1])


def _wait(url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text(errors="replace")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} not ready within {timeout} s:\n{log.read_text(errors='replace')}")


def _stop(proc: subprocess.Popen[bytes], signum: int, timeout: float = 30) -> None:
    if proc.poll() is None:
        proc.send_signal(signum)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """`taproot up` with two gateway and two sidecar processes (sums across processes)."""
    extra = {
        "TAPROOT_GATEWAY_WORKERS": "2",
        "TAPROOT_SIDECAR_WORKERS": "2",
        "TAPROOT_SIDECAR_THREADS": "8",
        "TAPROOT_WORKER_METRICS_PORT": str(free_port()),
        "TAPROOT_WORKER_HEARTBEAT_SECONDS": "1",
        "TAPROOT_WORKER_POLLING_SECONDS": "0.5",
    }
    unset = ("PROMETHEUS_MULTIPROC_DIR", "TAPROOT_METRICS_GROUP_DIR")
    with start_up(tmp_path_factory.mktemp("metrics-stack"), extra, unset) as up:
        yield up


def render_config(api_port: int, interval: str = "1s") -> str:
    """The shipped scrape config aimed at this stack's gateway, scraping every `interval`."""
    text = (SHIPPED / "prometheus.yml").read_text()
    assert "127.0.0.1:3000" in text and "scrape_interval: 15s" in text
    return (
        text.replace("127.0.0.1:3000", f"127.0.0.1:{api_port}")
        .replace("scrape_interval: 15s", f"scrape_interval: {interval}")
        .replace("evaluation_interval: 15s", f"evaluation_interval: {interval}")
        .replace("scrape_timeout: 5s", "scrape_timeout: 1s")
    )


@pytest.fixture(scope="module")
def prometheus(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Prometheus]:
    binary = shutil.which("prometheus")
    assert binary is not None, "Debian's prometheus package is a test dependency"
    tmp = tmp_path_factory.mktemp("prometheus")
    config = tmp / "prometheus.yml"
    config.write_text(render_config(int(stack.env["API_PORT"])))
    shutil.copy(SHIPPED / "alerts.yml", tmp / "alerts.yml")
    port = free_port()
    log = tmp / "prometheus.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                binary,
                f"--config.file={config}",
                f"--storage.tsdb.path={tmp / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--log.level=warn",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=tmp,
        )
    server = Prometheus(f"http://127.0.0.1:{port}", proc, log)
    try:
        _wait(f"{server.url}/-/ready", proc, log, timeout=30)
        yield server
    finally:
        _stop(proc, signal.SIGTERM)

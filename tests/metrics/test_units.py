"""The metrics pieces that need no stack: route classes, exposition, dead processes,
delta counters, the queue collector when the database is away."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from prometheus_client import REGISTRY, Counter

import telemetry
from gateway.metrics import Metrics, route_class
from telemetry.queue import QueueStats


@pytest.mark.parametrize(
    ("path", "proxied", "realtime", "expected"),
    [
        ("/metrics", False, False, "metrics"),
        ("/api/ai/v1/chat/completions", True, False, "ai"),
        ("/api/realtime", False, True, "realtime"),
        ("/api/health", False, False, "health"),
        ("/api/ready", False, False, "health"),
        ("/api/rpc/login", False, False, "rpc"),
        ("/api/", False, False, "openapi"),
        ("/api", False, False, "openapi"),
        ("/api/users", False, False, "table"),
        ("/elsewhere", False, False, "other"),
    ],
)
def test_route_classes(path: str, proxied: bool, realtime: bool, expected: str) -> None:
    assert route_class(path, "/api", proxied=proxied, realtime=realtime) == expected


def test_observe_counts_by_class_method_and_status() -> None:
    labels = {"route": "rpc", "method": "other", "status": "418"}
    before = REGISTRY.get_sample_value("gateway_requests_total", labels) or 0.0
    m = Metrics()
    m.observe("rpc", "BREW", 418, 0.01)
    m.observe("rpc", "BREW", 418, 0.02)
    assert REGISTRY.get_sample_value("gateway_requests_total", labels) == before + 2
    text = telemetry.expose().decode()
    assert 'gateway_requests_total{method="other",route="rpc",status="418"}' in text
    m.sample()  # nothing instrumented yet: no-op


def test_delta_counter_mirrors_plain_counts() -> None:
    counter = Counter("test_delta_total", "test", ["outcome"])
    delta = telemetry.DeltaCounter(counter)
    counts = {"a": 0, "b": 2}
    delta.sync(counts)
    counts["a"] += 3
    delta.sync(counts)
    delta.sync(counts)
    assert REGISTRY.get_sample_value("test_delta_total", {"outcome": "a"}) == 3
    assert REGISTRY.get_sample_value("test_delta_total", {"outcome": "b"}) == 2


_CHILD = """
import sys
from prometheus_client import Counter, Gauge
Counter("t_jobs_total", "x", ["kind"]).labels("a").inc(int(sys.argv[1]))
Gauge("t_live", "x", multiprocess_mode="livesum").set(int(sys.argv[1]))
"""


def test_group_merges_processes_and_drops_live_gauges_of_dead_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    group = tmp_path / "metrics"
    for component, n in (("gateway", 2), ("worker", 5)):
        folder = group / component
        folder.mkdir(parents=True)
        env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(folder)}
        subprocess.run([sys.executable, "-c", _CHILD, str(n)], env=env, check=True)
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(group / "gateway"))
    monkeypatch.setenv("TAPROOT_METRICS_GROUP_DIR", str(group))
    assert len(telemetry.directories()) == 2
    text = telemetry.expose().decode()
    assert 't_jobs_total{kind="a"} 7.0' in text  # counters of exited processes stay
    assert "t_live " not in text  # their live gauges do not
    assert not list(group.glob("*/gauge_livesum_*.db"))
    monkeypatch.delenv("TAPROOT_METRICS_GROUP_DIR")
    assert 't_jobs_total{kind="a"} 2.0' in telemetry.expose().decode()


def test_queue_stats_report_down_when_the_database_is_unreachable() -> None:
    stats = QueueStats("postgresql://nobody@127.0.0.1:1/none", "service_role", timeout=0.5)
    families = {m.name: m for m in stats.collect()}
    assert list(families) == ["taproot_job_stats_up"]
    assert families["taproot_job_stats_up"].samples[0].value == 0
    # cached: a second scrape does not try again at once
    assert [m.name for m in stats.collect()] == ["taproot_job_stats_up"]


def test_sampler_survives_a_failing_sample() -> None:
    calls: list[int] = []

    def sample() -> None:
        calls.append(1)
        raise RuntimeError("boom")

    sampler = telemetry.Sampler(sample, interval=0.01)
    sampler.start()
    deadline = time.monotonic() + 5
    while len(calls) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    sampler.stop()
    assert len(calls) >= 3

"""A real Prometheus scrapes a running `taproot up` stack with the shipped config.

Traffic (REST through both gateway processes, two identical AI calls: a miss then a cache
hit, a run_prompt the worker runs, a real-time stream that sees it) and then Prometheus's
HTTP API returns every series, summed across the worker processes: the request counter
equals the number of requests sent, though two gateway processes served them. The shipped
alert rules load and evaluate, every dashboard query is valid, the sidecar's and the
worker's own endpoints answer, and promtool accepts the rules and the config.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

import httpx
import pytest
from prometheus_client.multiprocess import MultiProcessCollector

from taproot import ROOT
from tests.metrics.conftest import SHIPPED, Prometheus
from tests.ops.conftest import UpStack as Stack

pytestmark = pytest.mark.slow

WORKSPACE = "11111111-1111-4111-8111-111111111111"
PROMPT = "5a000000-0000-4000-8000-000000000001"
REST_REQUESTS = 40
T = TypeVar("T")


def eventually(probe: Callable[[], T | None], timeout: float = 30, what: str = "") -> T:
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        assert time.monotonic() < deadline, f"not within {timeout} s: {what}"
        time.sleep(0.25)


def _per_process(folder: Path, name: str, labels: dict[str, str]) -> dict[str, float]:
    """Each process's own value of a counter sample, read from its multiprocess file."""
    out: dict[str, float] = {}
    for path in sorted(folder.glob("counter_*.db")):
        merged = MultiProcessCollector.merge([str(path)], accumulate=False)  # type: ignore[no-untyped-call]
        for metric in merged:
            for sample in metric.samples:
                if sample.name == name and labels.items() <= sample.labels.items():
                    out[path.stem] = out.get(path.stem, 0.0) + sample.value
    return out


def _traffic(stack: Stack) -> tuple[int, str]:
    token = stack.token()
    auth = {"Authorization": f"Bearer {token}"}

    def one(_n: int) -> int:
        # a new connection each: the kernel spreads them over both gateway processes
        return httpx.get(f"{stack.api}/prompts?select=id", headers=auth, timeout=10).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(one, range(REST_REQUESTS)))
    assert statuses == [200] * REST_REQUESTS
    ai = {**auth, "X-Taproot-Workspace": WORKSPACE, "x-taproot-cache": "force"}
    body = {"model": "demo-model", "messages": [{"role": "user", "content": "metrics?"}]}
    seen = []
    for _ in range(2):
        answer = httpx.post(
            f"{stack.api}/ai/v1/chat/completions", json=body, headers=ai, timeout=30
        )
        assert answer.status_code == 200, answer.text
        seen.append(answer.headers["x-taproot-cache"])
    assert seen == ["miss", "hit"]
    run = httpx.post(
        f"{stack.api}/rpc/run_prompt",
        json={"prompt_id": PROMPT, "inputs": {"text": "Taproot", "words": 5}},
        headers=auth,
        timeout=10,
    )
    assert run.status_code == 200, run.text
    return REST_REQUESTS, str(run.json()["id"])


def _subscribe(stack: Stack, token: str, topic: str, stop: threading.Event) -> threading.Thread:
    def read() -> None:
        url = f"{stack.api}/realtime?topics={topic}&access_token={token}"
        with httpx.stream("GET", url, timeout=httpx.Timeout(5, read=30)) as answer:
            for _line in answer.iter_lines():
                if stop.is_set():
                    return

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    return thread


def test_prometheus_sees_the_whole_stack(stack: Stack, prometheus: Prometheus) -> None:
    token = stack.token()
    stop = threading.Event()
    reader = _subscribe(stack, token, f"workspace:{WORKSPACE}", stop)
    eventually(
        lambda: (prometheus.value("sum(gateway_realtime_subscribers)") or 0) >= 1,
        what="a real-time subscriber",
    )
    sent, request_id = _traffic(stack)
    auth = {"Authorization": f"Bearer {token}"}

    polls = 0

    def finished() -> bool:
        nonlocal polls
        polls += 1  # a table GET too: counted below
        rows = httpx.get(
            f"{stack.api}/ai_requests?id=eq.{request_id}&select=status", headers=auth, timeout=10
        ).json()
        return bool(rows) and rows[0]["status"] == "succeeded"

    eventually(finished, what="the run_prompt request to succeed")
    sent += polls

    # --- HTTP, summed across both gateway processes ----------------------------------
    rest = 'gateway_requests_total{route="table",method="GET",status="200"}'
    eventually(lambda: prometheus.value(f"sum({rest})") == sent, what=f"{rest} == {sent}")
    per_process = _per_process(
        stack.home / "metrics" / "gateway",
        "gateway_requests_total",
        {"route": "table", "method": "GET", "status": "200"},
    )
    assert sum(per_process.values()) == sent
    assert len([v for v in per_process.values() if v > 0]) == 2, per_process  # both served
    histogram = 'gateway_request_duration_seconds_count{route="table",method="GET"}'
    assert prometheus.value(f"sum({histogram})") == sent
    assert prometheus.value('sum(gateway_requests_total{route="ai",status="200"})') == 2
    assert prometheus.value('sum(gateway_requests_total{route="rpc"})') >= 2  # type: ignore[operator]
    # the raw path is never a label
    assert not prometheus.query('gateway_requests_total{route=~"/.*"}')

    # --- pools, schema cache, limiter, realtime --------------------------------------
    assert (prometheus.value('gateway_db_pool_connections{state="max"}') or 0) > 0
    for state in ("open", "in_use", "idle", "waiting"):
        assert prometheus.query(f'gateway_db_pool_connections{{state="{state}"}}'), state
        assert prometheus.query(f'sidecar_db_pool_connections{{state="{state}"}}'), state
        assert prometheus.query(f'worker_db_pool_connections{{state="{state}"}}'), state
    # one load per gateway process at least
    assert (prometheus.value('gateway_schema_cache_reloads_total{outcome="ok"}') or 0) >= 2
    assert prometheus.value("gateway_schema_cache_age_seconds") is not None
    assert len(prometheus.query("taproot_ratelimit_total")) == 5
    eventually(
        lambda: (
            (prometheus.value('sum(gateway_realtime_deliveries_total{kind="event"})') or 0) >= 1
        ),
        what="real-time deliveries",
    )
    assert (prometheus.value('gateway_realtime_events_total{kind="event"}') or 0) >= 1

    # --- the sidecar's AI calls ------------------------------------------------------
    chat = 'sidecar_requests_total{route="openai.chat_completions",method="POST",status="200"}'
    eventually(lambda: prometheus.value(chat) == 2, what=chat)
    assert prometheus.value('taproot_ai_billed_total{component="sidecar",cache="miss"}') == 1
    assert prometheus.value('taproot_ai_billed_total{component="sidecar",cache="hit"}') == 1
    ratio = (
        'sum(taproot_ai_billed_total{component="sidecar",cache="hit"})'
        ' / sum(taproot_ai_billed_total{component="sidecar"})'
    )
    assert prometheus.value(ratio) == 0.5
    # the provider answered once: the hit came from Taproot's cache
    assert prometheus.value('taproot_ai_calls_total{component="sidecar",outcome="ok"}') == 1
    assert prometheus.value('taproot_ai_call_duration_seconds_count{component="sidecar"}') == 1
    assert (prometheus.value('sum(taproot_ai_tokens_total{component="sidecar"})') or 0) > 0
    assert prometheus.query('taproot_ai_cost_total{component="sidecar"}')
    # breaker states are sampled once a second, then scraped: the series comes a little later
    breaker = 'max(taproot_ai_circuit_open{component="sidecar"})'
    eventually(lambda: prometheus.query(breaker), what=breaker)
    assert prometheus.value(breaker) == 0

    # --- the worker's job and its AI call --------------------------------------------
    job = 'taproot_job_duration_seconds_count{task="ai.run_request",outcome="succeeded"}'
    eventually(lambda: (prometheus.value(f"sum({job})") or 0) >= 1, what=job)
    assert (prometheus.value('taproot_ai_calls_total{component="worker",outcome="ok"}') or 0) >= 1
    assert (prometheus.value('sum(taproot_ai_tokens_total{component="worker"})') or 0) > 0
    assert (prometheus.value('taproot_ai_billed_total{component="worker"}') or 0) >= 1
    heartbeat_age = prometheus.value("time() - max(taproot_worker_heartbeat_timestamp_seconds)")
    assert heartbeat_age is not None and heartbeat_age < 15

    # --- the queue, read from app.job_queue_stats at scrape time ---------------------
    assert prometheus.value("max(taproot_job_stats_up)") == 1
    eventually(
        lambda: (prometheus.value('max(taproot_jobs{queue="ai",status="succeeded"})') or 0) >= 1,
        what="succeeded ai jobs",
    )
    statuses = {r["metric"]["status"] for r in prometheus.query('taproot_jobs{queue="ai"}')}
    assert statuses == {"todo", "doing", "succeeded", "failed", "cancelled", "aborted"}
    assert prometheus.value('max(taproot_job_queue_lag_seconds{queue="ai"})') is not None

    # --- the shipped rules evaluate, the dashboard's queries are valid --------------
    def rules_evaluated() -> list[dict[str, object]] | None:
        groups = httpx.get(f"{prometheus.url}/api/v1/rules", timeout=10).json()["data"]["groups"]
        rules = [rule for group in groups for rule in group["rules"]]
        return rules if rules and all(r.get("health") == "ok" for r in rules) else None

    rules = eventually(rules_evaluated, what="every alert rule evaluated without error")
    assert len(rules) >= 10
    firing = {r["name"] for r in rules if r.get("state") == "firing"}
    assert not firing & {"TaprootNoWorkerHeartbeat", "TaprootTargetDown"}
    dashboard = json.loads((ROOT / "ops" / "grafana" / "taproot.json").read_text())
    for panel in dashboard["panels"]:
        for target in panel["targets"]:
            prometheus.query(target["expr"])  # asserts a successful evaluation

    # --- each component on its own ---------------------------------------------------
    sidecar = httpx.get(f"http://127.0.0.1:{stack.env['SIDECAR_PORT']}/metrics", timeout=10)
    assert sidecar.status_code == 200
    assert "sidecar_requests_total" in sidecar.text
    assert "gateway_requests_total" not in sidecar.text  # only the sidecar's own processes
    worker = httpx.get(
        f"http://127.0.0.1:{stack.env['TAPROOT_WORKER_METRICS_PORT']}/metrics", timeout=10
    )
    assert worker.status_code == 200
    assert "worker_db_pool_connections" in worker.text and "taproot_jobs{" in worker.text
    assert "sidecar_requests_total" not in worker.text
    # not through the public origin: /api/ai/metrics is not the sidecar's endpoint
    assert httpx.get(f"{stack.api}/ai/metrics", timeout=10).status_code == 404

    stop.set()
    reader.join(timeout=1)


def test_promtool_accepts_the_rules_and_the_config(tmp_path: Path) -> None:
    promtool = shutil.which("promtool")
    assert promtool is not None
    rules = subprocess.run(
        [promtool, "check", "rules", str(SHIPPED / "alerts.yml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert rules.returncode == 0, rules.stdout + rules.stderr
    assert "SUCCESS" in rules.stdout
    config = subprocess.run(
        [promtool, "check", "config", str(SHIPPED / "prometheus.yml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert config.returncode == 0, config.stdout + config.stderr
    assert "1 rule files found" in config.stdout

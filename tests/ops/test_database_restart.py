"""PostgreSQL stopped and started under load: Taproot recovers by itself, losing nothing.

One scenario (module fixture) against `taproot up` on a temp home: a client loop of REST
GETs, AI calls through the gateway's origin and run_prompt requests, a real-time
subscriber that reconnects like EventSource, and prompt runs queued just before the
outage (their fake model takes 1.5 s, so they are in flight when the server stops).
`taproot db stop` (a fast shutdown: every connection is cut), ~3 s of load against the
stopped server, `taproot db start`, then recovery. Each test checks one promise of
ARCHITECTURE.md ("every long-running process survives a PostgreSQL restart by itself")
and docs/operations.md, so a failure names what did not hold.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from taproot import system_deps
from taproot.cluster import Cluster
from tests.ops.conftest import DEMO_WORKSPACE, Subscriber, UpStack, start_up
from tests.stack import FAST_WORKER_ENV

pytestmark = pytest.mark.slow

CLIENT_TIMEOUT = 5.0  # a client's deadline: longer than this is a hang
OUTAGE_SECONDS = 3.0
RECOVERY_SECONDS = 15.0
POSTGREST_KEYS = {"code", "message", "details", "hint"}
TERMINAL = ("succeeded", "failed", "cancelled")


@dataclass
class Sample:
    kind: str
    started: float
    elapsed: float
    status: int | None  # None: no answer (see outcome)
    outcome: str  # "answer", "hang" (client timeout), "error" (connection refused …)
    body: Any = None


@dataclass
class Scenario:
    stack: UpStack
    token: str
    samples: list[Sample] = field(default_factory=list)
    stop_began: float = 0.0
    stopped: float = 0.0
    start_began: float = 0.0
    started: float = 0.0
    recovered: dict[str, float] = field(default_factory=dict)
    before_outage: list[str] = field(default_factory=list)
    after_outage: str | None = None
    final_status: dict[str, str] = field(default_factory=dict)
    subscriber: Subscriber | None = None
    baseline_event: int = 0
    expected_events: list[int] = field(default_factory=list)
    event_kinds: dict[int, str] = field(default_factory=dict)
    marks: dict[str, float] = field(default_factory=dict)

    def mark(self, what: str) -> None:
        self.marks[what] = time.monotonic()

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def during_outage(self, sample: Sample) -> bool:
        return self.stopped <= sample.started and sample.started + sample.elapsed < self.start_began


def _admin(stack: UpStack) -> str:
    cluster = Cluster(
        tools=system_deps.ensure(),
        data_dir=Path(stack.env["TAPROOT_HOME"]) / "pg",
        port=int(stack.env["TAPROOT_PG_PORT"]),
    )
    return cluster.admin_url("taproot")


def _prompt(api: str, auth: dict[str, str]) -> str:
    """A prompt whose (fake) model answers after 1.5 s, created through the REST API."""
    with httpx.Client(timeout=10, headers={**auth, "Prefer": "return=representation"}) as c:
        prompt = c.post(
            f"{api}/prompts", json={"workspace_id": DEMO_WORKSPACE, "name": f"slow-{time.time()}"}
        )
        assert prompt.status_code == 201, prompt.text
        prompt_id = str(prompt.json()[0]["id"])
        version = c.post(
            f"{api}/prompt_versions",
            json={
                "prompt_id": prompt_id,
                "template": "Say hello to {{name}}",
                "variables": {"name": "string"},
                "model": "fake-chat",
                "params": {"fake_latency_ms": 1500},
            },
        )
        assert version.status_code == 201, version.text
    return prompt_id


class Load:
    """Client loops, each one request at a time with a CLIENT_TIMEOUT deadline."""

    def __init__(self, scenario: Scenario, prompt: str) -> None:
        self.s = scenario
        self.prompt = prompt
        self.stop = threading.Event()
        self.threads = [
            threading.Thread(target=self._loop, args=(kind,), daemon=True)
            for kind in ("rest", "rest", "ai", "run_prompt", "health")
        ]

    def request(self, client: httpx.Client, kind: str) -> Sample:
        api, auth = self.s.stack.api, self.s.auth
        started = time.monotonic()
        try:
            if kind == "rest":
                r = client.get(f"{api}/workspaces?select=id,name", headers=auth)
            elif kind == "health":
                r = client.get(f"{api}/ready")
            elif kind == "ai":
                r = client.post(
                    f"{api}/ai/v1/chat/completions",
                    json={"model": "demo-model", "messages": [{"role": "user", "content": "hi"}]},
                    headers={**auth, "X-Taproot-Workspace": DEMO_WORKSPACE},
                )
            else:
                r = client.post(
                    f"{api}/rpc/run_prompt",
                    json={"prompt_id": self.prompt, "inputs": {"name": "load"}},
                    headers=auth,
                )
        except httpx.TimeoutException:
            return Sample(kind, started, time.monotonic() - started, None, "hang")
        except httpx.HTTPError as exc:
            return Sample(kind, started, time.monotonic() - started, None, "error", str(exc))
        try:
            body: Any = r.json()
        except ValueError:
            body = r.text
        return Sample(kind, started, time.monotonic() - started, r.status_code, "answer", body)

    def _loop(self, kind: str) -> None:
        with httpx.Client(timeout=CLIENT_TIMEOUT) as client:
            while not self.stop.is_set():
                sample = self.request(client, kind)
                self.s.samples.append(sample)
                if kind == "run_prompt" and sample.status == 200:
                    self.s.final_status.setdefault(str(sample.body["id"]), "queued")
                self.stop.wait(0.4 if kind == "run_prompt" else 0.05)

    def __enter__(self) -> Load:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=CLIENT_TIMEOUT + 5)


def _status(api: str, auth: dict[str, str], ids: list[str]) -> dict[str, str]:
    rows = httpx.get(
        f"{api}/ai_requests?id=in.({','.join(ids)})&select=id,status", headers=auth, timeout=5
    ).json()
    return {str(row["id"]): str(row["status"]) for row in rows}


def _wait_terminal(s: Scenario, ids: list[str], timeout: float) -> dict[str, str]:
    deadline = time.monotonic() + timeout
    found: dict[str, str] = {}
    while time.monotonic() < deadline:
        try:
            found = _status(s.stack.api, s.auth, ids)
        except (httpx.HTTPError, ValueError):
            found = {}
        if len(found) == len(ids) and all(v in TERMINAL for v in found.values()):
            break
        time.sleep(0.2)
    return found


def _document(s: Scenario, title: str) -> str:
    r = httpx.post(
        f"{s.stack.api}/documents",
        json={"workspace_id": DEMO_WORKSPACE, "title": title, "body": "b"},
        headers={**s.auth, "Prefer": "return=representation"},
        timeout=CLIENT_TIMEOUT,
    )
    assert r.status_code == 201, r.text
    return str(r.json()[0]["id"])


def _run(s: Scenario) -> None:
    api = s.stack.api
    s.mark("begin")
    prompt = _prompt(api, s.auth)
    sub = s.subscriber = Subscriber(
        f"{api}/realtime", {"topics": f"workspace:{DEMO_WORKSPACE}"}, s.auth
    )
    sub.wait_connected()
    doc = _document(s, "baseline")
    s.baseline_event = sub.wait(
        lambda events: next(
            (e.id for e in events if e.event == "documents.created" and doc in e.data), None
        ),
        timeout=10,
    )
    s.mark("load")
    with Load(s, prompt) as load:
        time.sleep(1.0)
        with httpx.Client(timeout=CLIENT_TIMEOUT) as client:
            for _ in range(4):
                r = load.request(client, "run_prompt")
                assert r.status == 200, r.body
                s.before_outage.append(str(r.body["id"]))
        time.sleep(0.5)  # the worker claims them; their model answers in 1.5 s

        s.stop_began = time.monotonic()
        stopped = s.stack.taproot("db", "stop")
        assert stopped.returncode == 0, stopped.stderr
        s.stopped = time.monotonic()
        time.sleep(OUTAGE_SECONDS)
        s.start_began = time.monotonic()
        started = s.stack.taproot("db", "start")
        assert started.returncode == 0, started.stderr
        s.started = time.monotonic()

        kinds = ("rest", "ai", "health", "run_prompt")
        deadline = s.started + RECOVERY_SECONDS
        while time.monotonic() < deadline and len(s.recovered) < len(kinds):
            for sample in list(s.samples):
                if (
                    sample.kind in kinds
                    and sample.kind not in s.recovered
                    and sample.started >= s.started
                    and sample.status == 200
                ):
                    s.recovered[sample.kind] = sample.started + sample.elapsed - s.started
            time.sleep(0.1)
        # and the load goes on: nothing may fail once recovered, and readiness must be
        # back for good by the end of the recovery time (a worker restarting its loop a few
        # seconds after the database came back is "not ready" meanwhile), so sample past it
        time.sleep(max(1.5, s.started + RECOVERY_SECONDS + 0.5 - time.monotonic()))
    s.mark("recovered")
    if "rest" in s.recovered:
        _document(s, "after the restart")
        queued = httpx.post(
            f"{api}/rpc/run_prompt",
            json={"prompt_id": prompt, "inputs": {"name": "after"}},
            headers=s.auth,
            timeout=CLIENT_TIMEOUT,
        )
        if queued.status_code == 200:
            s.after_outage = str(queued.json()["id"])
    s.mark("runs")
    ids = [*s.before_outage, *s.final_status, *([s.after_outage] if s.after_outage else [])]
    s.final_status.update(_wait_terminal(s, list(dict.fromkeys(ids)), RECOVERY_SECONDS))

    s.mark("terminal")
    # every event of the workspace after the baseline, as the outbox has them
    with psycopg.connect(_admin(s.stack), connect_timeout=5) as conn:
        rows = conn.execute(
            "SELECT id, topic, kind FROM app.events WHERE workspace_id = %s AND id > %s"
            " ORDER BY id",
            (DEMO_WORKSPACE, s.baseline_event),
        ).fetchall()
    s.expected_events = [int(row[0]) for row in rows]
    s.event_kinds = {int(row[0]): f"{row[1]}.{row[2]}" for row in rows}
    s.mark("events")
    want = set(s.expected_events)
    try:
        sub.wait(lambda events: want <= {e.id for e in events}, timeout=15)
    except AssertionError:
        pass  # reported by the test below
    finally:
        sub.close()
        s.mark("closed")


@pytest.fixture(scope="module", name="s")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scenario]:
    with start_up(tmp_path_factory.mktemp("restart"), FAST_WORKER_ENV) as stack:
        s = Scenario(stack, stack.token())
        _run(s)
        print(_report(s))  # shown with a failure: what answered what, and when it recovered
        yield s


def _report(s: Scenario) -> str:
    counts: dict[tuple[str, str], int] = {}
    for x in s.samples:
        phase = (
            "outage"
            if s.during_outage(x)
            else "before"
            if x.started + x.elapsed < s.stop_began
            else "after"
            if x.started >= s.started
            else "edges"  # overlapping `db stop` or `db start`
        )
        key = (phase, f"{x.kind} {x.status if x.outcome == 'answer' else x.outcome}")
        counts[key] = counts.get(key, 0) + 1
    lines = [
        f"stop took {s.stopped - s.stop_began:.2f} s, outage {s.start_began - s.stopped:.2f} s,"
        f" start took {s.started - s.start_began:.2f} s",
        "recovered (s after start): "
        + ", ".join(f"{k} {v:.2f}" for k, v in sorted(s.recovered.items())),
        *(f"  {phase:6} {what}: {n}" for (phase, what), n in sorted(counts.items())),
        f"runs: {s.final_status}",
        "timeline: " + ", ".join(f"{k} {v - s.marks['begin']:.1f}" for k, v in s.marks.items()),
    ]
    if s.subscriber is not None:
        lines.append(f"realtime: {s.subscriber.connects} connections, {s.subscriber.statuses}")
    return "\n".join(lines)


def _summary(samples: list[Sample]) -> list[tuple[Any, ...]]:
    """kind, status, outcome, elapsed — and for readiness, the checks that failed."""
    return [
        (x.kind, x.status, x.outcome, round(x.elapsed, 2))
        + ((_failing(x.body),) if x.kind == "health" and x.status != 200 else ())
        for x in samples
    ]


def _failing(body: Any) -> Any:
    if not isinstance(body, dict):
        return body
    checks = body.get("checks") or {}
    return {name: checks.get(name) for name in body.get("failing") or []}


def test_the_gateway_answers_503_in_postgrest_shape_during_the_outage(s: Scenario) -> None:
    rest = [x for x in s.samples if x.kind in ("rest", "run_prompt") and s.during_outage(x)]
    assert len(rest) >= 10, _summary(rest)
    wrong = [x for x in rest if x.status != 503 or not isinstance(x.body, dict)]
    assert not wrong, _summary(wrong)
    assert all(set(x.body) == POSTGREST_KEYS for x in rest), [x.body for x in rest][:3]
    # /api/ready waits up to its timeout (2 s) for its probes, so a call made during the
    # outage may be answered after it: those started in it must all say not ready.
    health = [x for x in s.samples if x.kind == "health" and s.stopped <= x.started < s.start_began]
    assert health
    assert all(x.status == 503 and x.body["database"] == "unavailable" for x in health), [
        (x.status, x.body) for x in health
    ]


def test_no_request_hangs_beyond_its_deadline(s: Scenario) -> None:
    hangs = [x for x in s.samples if x.outcome != "answer"]
    by_kind = {k: sum(1 for x in hangs if x.kind == k) for k in {x.kind for x in hangs}}
    assert not hangs, (
        f"{len(hangs)} of {len(s.samples)} requests got no answer within {CLIENT_TIMEOUT} s:"
        f" {by_kind}; {_summary(hangs)}"
    )
    slow = [x for x in s.samples if x.elapsed > CLIENT_TIMEOUT / 2]
    assert not slow, _summary(slow)


def test_every_process_recovers_by_itself(s: Scenario) -> None:
    missing = {"rest", "ai", "health", "run_prompt"} - set(s.recovered)
    assert not missing, f"no 200 within {RECOVERY_SECONDS} s for {missing}; recovered {s.recovered}"
    assert all(v < RECOVERY_SECONDS for v in s.recovered.values()), s.recovered
    # once recovered, nothing fails again — except readiness, which may say "not ready" for
    # the moment a worker restarts its loop after the database came back (its row is gone
    # then): it must be ready again, for good, within the recovery time
    late = [x for x in s.samples if x.started >= s.started + max(s.recovered.values()) + 0.2]
    assert late
    assert not [x for x in late if x.status != 200 and x.kind != "health"], _summary(late)
    ready = [x for x in s.samples if x.kind == "health" and x.started >= s.started]
    unready = [x for x in ready if x.status != 200]
    if unready:
        assert unready[-1].started - s.started < RECOVERY_SECONDS, _summary(unready)
        assert ready[-1].status == 200, _summary(ready[-5:])


def test_no_prompt_run_is_lost(s: Scenario) -> None:
    assert s.before_outage and s.after_outage is not None
    before = {i: s.final_status.get(i) for i in s.before_outage}
    assert set(before.values()) == {"succeeded"}, before
    assert s.final_status.get(s.after_outage) == "succeeded"
    # every run the load queued (before, during or after the outage) ran to success
    assert set(s.final_status.values()) == {"succeeded"}, s.final_status


def test_the_realtime_subscriber_resumes_with_no_event_lost(s: Scenario) -> None:
    sub = s.subscriber
    assert sub is not None
    got = [e.id for e in sub.events if e.id is not None and e.id > s.baseline_event]
    assert s.expected_events, "no event after the baseline"
    missing = sorted(set(s.expected_events) - set(got))
    assert not missing, (
        f"lost {len(missing)} of {len(s.expected_events)} events:"
        f" {[(i, s.event_kinds.get(i)) for i in missing[:10]]}; last received"
        f" {got[-3:]}; connections {sub.connects} {sub.statuses}; errors {sub.errors[-3:]}"
    )
    assert len(got) == len(set(got)), "an event was delivered twice"
    assert got == sorted(got)

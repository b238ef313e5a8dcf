"""The asynchronous scenarios of bench/load: run_prompt through the worker to `succeeded`,
streamed completions through the gateway's proxy to the sidecar, and a population of
SSE subscribers held open while the other scenarios run.

Streams reuse bench/ai_streams.py and subscribers bench/realtime_client.py (each its own
process on raw asyncio sockets), so their figures read like those benchmarks' reports.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from bench.load import traffic
from bench.load.stack import Stack
from taproot import ROOT

STREAM_BODY = json.dumps(
    {
        "model": "fake-chat",
        "messages": [{"role": "user", "content": "Stream something about load."}],
        "max_tokens": 64,
        "stream": True,
        "fake_latency_ms": 50,
        "fake_stream_interval_ms": 20,
        "fake_output_tokens": 21,
    }
)


def _pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


@dataclass
class Prompts:
    http: traffic.Run
    created: int
    succeeded: int
    other: dict[str, int]
    end_to_end_ms: dict[str, float]  # created_at → finished_at of the succeeded ones
    drained_seconds: float


def run_prompts(s: Stack, requests: Path, connections: int, rate: float, seconds: float) -> Prompts:
    """POST /api/rpc/run_prompt in open loop; then wait (≤ 120 s) for the worker to finish
    every request created meanwhile and read created_at → finished_at from the table."""
    with s.admin.connect() as conn:
        row = conn.execute("SELECT now()").fetchone()
    assert row is not None
    since = row[0]
    http = traffic.wrk(s, requests, connections, seconds, rate=rate, expected_latency_ms=10)
    started = time.monotonic()
    query = (
        "SELECT status, count(*),"
        " percentile_cont(ARRAY[0.5, 0.9, 0.99]) WITHIN GROUP"
        " (ORDER BY extract(epoch FROM finished_at - created_at) * 1000)"
        " FROM api.ai_requests WHERE created_at >= %s GROUP BY status"
    )
    counts: dict[str, int] = {}
    e2e: dict[str, float] = {}
    while True:
        with s.admin.connect() as conn:
            rows = conn.execute(query, (since,)).fetchall()
        counts = {str(r[0]): int(str(r[1])) for r in rows}
        pending = counts.get("queued", 0) + counts.get("running", 0)
        if pending == 0 or time.monotonic() - started > 120:
            for status, _n, pcts in rows:
                if status == "succeeded" and pcts is not None:
                    e2e = {
                        f"p{p}": float(v)
                        for p, v in zip((50, 90, 99), cast(list[float], pcts), strict=True)
                    }
            break
        time.sleep(0.5)
    return Prompts(
        http=http,
        created=sum(counts.values()),
        succeeded=counts.get("succeeded", 0),
        other={k: v for k, v in counts.items() if k != "succeeded"},
        end_to_end_ms=e2e,
        drained_seconds=time.monotonic() - started,
    )


def streams(s: Stack, users: list[traffic.Member], count: int, seconds: float) -> dict[str, Any]:
    """`count` concurrent streamed chat completions through the gateway (bench/ai_streams)."""
    host, port = s.base_url.removeprefix("http://").split(":")
    # bench/ai_streams takes its requests in one argument (at most 128 kB): 50 users
    writers = [m for m in users if m.role in traffic.WRITERS][:50]
    raw = [
        f"POST /api/ai/v1/chat/completions HTTP/1.1\r\nHost: {host}:{port}\r\n"
        f"Authorization: Bearer {m.token}\r\nX-Taproot-Workspace: {m.workspace_id}\r\n"
        f"Content-Type: application/json\r\nAccept: text/event-stream\r\n"
        f"Content-Length: {len(STREAM_BODY)}\r\n\r\n{STREAM_BODY}"
        for m in writers
    ]
    cfg = {
        "host": host,
        "port": int(port),
        "requests": raw,
        "streams": count,
        "seconds": seconds,
        "ramp": 1.0,
        "timeout": 60,
    }
    out = subprocess.run(
        [sys.executable, "-m", "bench.ai_streams", json.dumps(cfg)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    ).stdout
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


@dataclass
class Subscribers:
    """SSE subscribers (bench/realtime_client), one topic workspace:<id> each."""

    proc: subprocess.Popen[str]
    out: Path
    topics: list[str]
    ok: int = 0
    failed: int = 0
    ramp_seconds: float = 0.0
    since_event: int = 0
    result: dict[str, Any] = field(default_factory=dict)


def start_subscribers(
    s: Stack, users: list[traffic.Member], count: int, workdir: Path
) -> Subscribers:
    host, port = s.base_url.removeprefix("http://").split(":")
    subs = [(f"workspace:{m.workspace_id}", m.token) for m in users[:count]]
    spec = {
        "host": host,
        "port": int(port),
        "path": "/api/realtime",
        "rate": 500,
        "inflight": 32,
        "subs": subs,
    }
    spec_path = workdir / "sse-spec.json"
    spec_path.write_text(json.dumps(spec))
    out = workdir / "sse-out.json"
    with s.admin.connect() as conn:
        row = conn.execute("SELECT coalesce(max(id), 0) FROM app.events").fetchone()
    assert row is not None
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.realtime_client", str(spec_path), str(out)],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline().split()
    if not line or line[0] != "ready":
        proc.kill()
        raise RuntimeError(f"SSE clients said {line!r}")
    return Subscribers(
        proc,
        out,
        [t for t, _ in subs],
        ok=int(line[1]),
        failed=int(line[2]),
        ramp_seconds=float(line[3]),
        since_event=int(str(row[0])),
    )


def stop_subscribers(s: Stack, subs: Subscribers) -> dict[str, Any]:
    """Wait (≤ 30 s) until every event on the subscribed topics arrived, then stop the
    clients: deliveries expected (events x subscribers of their topic) and received."""
    assert subs.proc.stdin is not None and subs.proc.stdout is not None
    with s.admin.connect() as conn:
        rows = conn.execute(
            "SELECT 'workspace:' || workspace_id, count(*) FROM app.events"
            " WHERE id > %s GROUP BY 1",
            (subs.since_event,),
        ).fetchall()
    per_topic = {str(t): int(str(n)) for t, n in rows}
    expected = sum(per_topic.get(t, 0) for t in subs.topics)
    received = 0
    started = time.monotonic()
    while time.monotonic() - started < 30:
        subs.proc.stdin.write("count\n")
        subs.proc.stdin.flush()
        received = int(subs.proc.stdout.readline().split()[1])
        if received >= expected:
            break
        time.sleep(0.5)
    subs.proc.stdin.write("stop\n")
    subs.proc.stdin.flush()
    subs.proc.stdout.readline()
    subs.proc.wait(timeout=60)
    data = json.loads(subs.out.read_text())
    closed = sum(len(x["closed"]) for x in data["subs"])
    return {
        "subscribers": len(subs.topics),
        "connected": subs.ok,
        "failed": subs.failed,
        "ramp_seconds": subs.ramp_seconds,
        "expected_deliveries": expected,
        "received": received,
        "closed_by_server": closed,
        "errors": data["errors"],
        "drain_seconds": time.monotonic() - started,
    }

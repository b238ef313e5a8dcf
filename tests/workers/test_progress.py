"""A running request's partial output reaches its real-time subscribers while the worker
streams the completion (ephemeral `ai_requests.delta`), and the durable result follows."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from taproot.database import Database
from tests.stack import (
    Gateway,
    Process,
    Tenant,
    make_prompt,
    run_prompt,
    start_gateway,
    start_worker,
    wait_status,
)
from tests.workers.conftest import stop_all

pytestmark = pytest.mark.slow

WORDS = " ".join(f"word{i}" for i in range(12))


@pytest.fixture(scope="module")
def stack(jobs_db: Database, log_dir: Path) -> Iterator[tuple[Gateway, Process]]:
    gateway = start_gateway(jobs_db, log_dir)
    worker = start_worker(jobs_db, log_dir, name="progress")
    try:
        yield gateway, worker
    finally:
        stop_all([worker])
        gateway.process.stop()


def _read_events(
    response: requests.Response, into: list[tuple[str, Any]], done: threading.Event
) -> None:
    event = "message"
    for raw in response.iter_lines(decode_unicode=True):
        if raw.startswith("event:"):
            event = raw[6:].strip()
        elif raw.startswith("data:"):
            into.append((event, json.loads(raw[5:].strip())))
            if (
                event == "ai_requests.updated"
                and into[-1][1]["payload"].get("status") == "succeeded"
            ):
                done.set()
                return
        elif raw == "":
            event = "message"


def test_partial_output_streams_to_subscribers_then_the_result(
    jobs_db: Database, stack: tuple[Gateway, Process], tenant: Tenant
) -> None:
    gateway, _ = stack
    login = gateway.post("/rpc/login", {"email": tenant.email, "password": tenant.password})
    token = login.json()["access_token"]
    # 12 words 150 ms apart: about 1.8 s of streaming, so several deltas (one per 250 ms).
    prompt = make_prompt(jobs_db, tenant, {"fake_output": WORDS, "fake_stream_interval_ms": 150})
    request_id = run_prompt(jobs_db, tenant, prompt)
    stream = requests.get(
        f"{gateway.url}/realtime",
        params={"topics": f"request:{request_id}", "access_token": token},
        stream=True,
        timeout=30,
    )
    assert stream.status_code == 200, stream.text
    seen: list[tuple[str, Any]] = []
    done = threading.Event()
    reader = threading.Thread(target=_read_events, args=(stream, seen, done), daemon=True)
    reader.start()
    try:
        assert done.wait(30), seen
    finally:
        stream.close()
        reader.join(timeout=5)
    deltas = [data for event, data in seen if event == "ai_requests.delta"]
    assert len(deltas) >= 2, seen
    assert [d["index"] for d in deltas] == list(range(len(deltas)))
    assert all(d["request_id"] == request_id for d in deltas)
    streamed = "".join(d["text"] for d in deltas)
    assert WORDS.startswith(streamed) and streamed, streamed
    final = wait_status(jobs_db, request_id, "succeeded")
    assert final["result"] == WORDS
    # The durable event comes after every delta.
    kinds = [event for event, _ in seen]
    assert kinds.index("ai_requests.updated", kinds.index("ai_requests.delta")) > max(
        i for i, k in enumerate(kinds) if k == "ai_requests.delta"
    )

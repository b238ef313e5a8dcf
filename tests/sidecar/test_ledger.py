"""Budgets, exact usage, disconnects, cache, fallback and breakers, against the real ledger."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import requests

from tests.sidecar.conftest import (
    BREAKER_RESET_SECONDS,
    Sidecar,
    Tenant,
    cut_stream,
    make_tenant,
    recorded,
    sql,
)


def chat(sidecar: Sidecar, tenant: Tenant, **body: Any) -> requests.Response:
    payload = {"model": "fake-chat", "messages": [{"role": "user", "content": "hello"}], **body}
    headers = {**tenant.headers, **body.pop("headers", {})} if "headers" in body else tenant.headers
    payload.pop("headers", None)
    with requests.Session() as http:
        return http.post(
            f"{sidecar.url}/v1/chat/completions", json=payload, headers=headers, timeout=30
        )


def test_concurrent_calls_never_overspend_a_small_quota(sidecar: Sidecar) -> None:
    tenant = make_tenant(sidecar, quota=500)
    results: list[int] = []
    barrier = threading.Barrier(20)

    def call() -> None:
        barrier.wait()
        results.append(chat(sidecar, tenant, max_tokens=40, fake_latency_ms=50).status_code)

    threads = [threading.Thread(target=call) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert set(results) == {200, 429}
    recorded(sidecar, tenant.workspace_id, results.count(200))
    (spent, calls) = sql(
        sidecar,
        "SELECT coalesce(sum(input_tokens + output_tokens), 0), count(*) FROM api.ai_usage"
        " WHERE workspace_id = %s",
        tenant.workspace_id,
    )[0]
    assert calls == results.count(200)
    assert spent <= 500
    # Every reservation was released or, by the sidecar's background settler (within ~20 ms
    # of each call's ledger row), settled.
    deadline = time.monotonic() + 5
    while (held := _held(sidecar, tenant)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert held == 0


def _held(sidecar: Sidecar, tenant: Tenant) -> int:
    return int(
        sql(
            sidecar,
            "SELECT count(*) FROM app.budget_reservations WHERE workspace_id = %s",
            tenant.workspace_id,
        )[0][0]
    )


def test_client_disconnect_mid_stream_bills_partial_estimated(
    sidecar: Sidecar, tenant: Tenant
) -> None:
    cut_stream(sidecar.url, tenant)
    deadline = time.monotonic() + 10
    rows: list[tuple[Any, ...]] = []
    while not rows and time.monotonic() < deadline:
        rows = sql(
            sidecar,
            "SELECT status, estimated, output_tokens FROM api.ai_usage WHERE workspace_id = %s",
            tenant.workspace_id,
        )
        time.sleep(0.1)
    assert len(rows) == 1
    status, estimated, output = rows[0]
    assert (status, estimated) == ("partial", True)
    assert 0 < output < 400


def test_cache_hit_miss_bypass_and_ttl(sidecar: Sidecar, tenant: Tenant) -> None:
    first = chat(sidecar, tenant, temperature=0)
    second = chat(sidecar, tenant, temperature=0)
    warm = chat(sidecar, tenant, temperature=0.7)
    forced = chat(sidecar, tenant, temperature=0.7, headers={"x-taproot-cache": "force"})
    off = chat(sidecar, tenant, temperature=0, headers={"x-taproot-cache": "off"})
    statuses = [r.headers["x-taproot-cache"] for r in (first, second, warm, forced, off)]
    assert statuses == ["miss", "hit", "bypass", "miss", "bypass"]
    assert second.json()["choices"] == first.json()["choices"]
    recorded(sidecar, tenant.workspace_id, 5)
    hits = sql(
        sidecar,
        "SELECT count(*) FILTER (WHERE cache_hit), count(*) FROM api.ai_usage"
        " WHERE workspace_id = %s",
        tenant.workspace_id,
    )[0]
    assert hits == (1, 5)  # one usage row per call, cached or not
    short = {"x-taproot-cache-ttl": "1"}
    body = {"messages": [{"role": "user", "content": "ttl"}], "temperature": 0}
    assert chat(sidecar, tenant, headers=short, **body).headers["x-taproot-cache"] == "miss"
    assert chat(sidecar, tenant, **body).headers["x-taproot-cache"] == "hit"
    time.sleep(1.5)
    assert chat(sidecar, tenant, **body).headers["x-taproot-cache"] == "miss"


def test_cached_answer_is_replayed_as_a_stream(sidecar: Sidecar, tenant: Tenant) -> None:
    whole = chat(sidecar, tenant, temperature=0).json()["choices"][0]["message"]["content"]
    streamed = chat(sidecar, tenant, temperature=0, stream=True)
    assert streamed.headers["x-taproot-cache"] == "hit"
    lines = [line for line in streamed.text.split("\n\n") if line.startswith("data: {")]
    text = "".join(
        json.loads(line[6:])["choices"][0]["delta"].get("content") or ""
        for line in lines
        if json.loads(line[6:])["choices"]
    )
    assert text == whole and streamed.text.endswith("data: [DONE]\n\n")


def test_fallback_before_first_byte_then_breaker(sidecar: Sidecar, tenant: Tenant) -> None:
    sql(
        sidecar,
        "INSERT INTO api.ai_routes (workspace_id, model, position, credential, upstream_model)"
        " VALUES (%s, 'resilient', 1, 'openai', 'gpt-down'),"
        "        (%s, 'resilient', 2, 'fake', 'fake-chat')",
        tenant.workspace_id,
        tenant.workspace_id,
    )
    answers = [chat(sidecar, tenant, model="resilient") for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert {a.headers["x-taproot-provider"] for a in answers} == {"fake"}
    streamed = chat(sidecar, tenant, model="resilient", stream=True)
    assert streamed.status_code == 200 and streamed.headers["x-taproot-provider"] == "fake"
    with requests.Session() as http:
        states = http.get(f"{sidecar.url}/providers", headers=tenant.headers, timeout=10).json()
    assert states["breakers"]["openai"] == "open"
    began = time.monotonic()
    assert chat(sidecar, tenant, model="resilient").status_code == 200
    assert time.monotonic() - began < 0.5  # the open breaker skips the dead upstream
    time.sleep(BREAKER_RESET_SECONDS + 0.2)
    sql(sidecar, "DELETE FROM api.ai_routes WHERE workspace_id = %s", tenant.workspace_id)
    sql(
        sidecar,
        "INSERT INTO api.ai_routes (workspace_id, model, position, credential, upstream_model)"
        " VALUES (%s, 'resilient', 1, 'fake', 'fake-chat')",
        tenant.workspace_id,
    )
    assert chat(sidecar, tenant, model="resilient").status_code == 200


def test_error_after_first_byte_is_in_band_and_billed_partial(
    sidecar: Sidecar, tenant: Tenant
) -> None:
    answer = chat(sidecar, tenant, stream=True, fake_fail_after_chunks=2)
    assert answer.status_code == 200
    events = [e for e in answer.text.split("\n\n") if e.startswith("data: ")]
    assert json.loads(events[-2][6:])["error"]["code"] == "transient"
    assert events[-1] == "data: [DONE]"
    rows = sql(
        sidecar, "SELECT status FROM api.ai_usage WHERE workspace_id = %s", tenant.workspace_id
    )
    assert rows == [("partial",)]


def test_failure_before_first_byte_releases_the_reservation(
    sidecar: Sidecar, tenant: Tenant
) -> None:
    answer = chat(sidecar, tenant, fake_fail="permanent")
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "permanent"
    limited = chat(sidecar, tenant, fake_fail="rate_limited", fake_retry_after=0)
    assert limited.status_code == 429
    held = sql(
        sidecar,
        "SELECT count(*) FROM app.budget_reservations WHERE workspace_id = %s",
        tenant.workspace_id,
    )
    assert held == [(0,)]


def test_viewers_may_not_call_models(sidecar: Sidecar) -> None:
    viewer = make_tenant(sidecar, role="viewer")
    answer = chat(sidecar, viewer)
    assert answer.status_code == 403
    assert answer.json()["error"]["type"] == "permission_error"

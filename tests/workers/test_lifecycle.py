"""An AI request's life with two real workers running: from the RPC to the result, retries,
permanent failures, Retry-After, cancelling a running request, the transaction that
creates the job, and periodic tasks deferred once per period whatever the worker count.

Two `python -m workers` processes and one `python -m gateway` serve the whole module.
"""

from __future__ import annotations

import datetime
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from taproot.database import Database
from tests.stack import (
    Gateway,
    Process,
    Row,
    Tenant,
    as_member,
    cancel_request,
    job_events,
    make_prompt,
    request,
    reservations,
    rows,
    run_prompt,
    start_gateway,
    start_worker,
    usage_rows,
    wait_for,
    wait_status,
)
from tests.workers.conftest import stop_all

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def workers(jobs_db: Database, log_dir: Path) -> Iterator[list[Process]]:
    started: list[Process] = []
    try:
        for name in ("w1", "w2"):
            started.append(start_worker(jobs_db, log_dir, name=name))
        yield started
    finally:
        stop_all(started)


@pytest.fixture(scope="module")
def gateway(jobs_db: Database, log_dir: Path) -> Iterator[Gateway]:
    gw = start_gateway(jobs_db, log_dir)
    try:
        yield gw
    finally:
        gw.process.stop()


def _events(db: Database, request_id: str) -> list[tuple[str, str]]:
    found = rows(
        db,
        "SELECT kind, payload ->> 'status' AS status FROM app.events"
        " WHERE topic = 'ai_requests' AND entity_id = %s ORDER BY id",
        request_id,
    )
    return [(e["kind"], e["status"]) for e in found]


def test_run_prompt_through_the_gateway_to_a_result_and_events(
    jobs_db: Database, workers: list[Process], gateway: Gateway, tenant: Tenant
) -> None:
    prompt = make_prompt(jobs_db, tenant, {"fake_output": "Hello, gateway!"})
    login = gateway.post("/rpc/login", {"email": tenant.email, "password": tenant.password})
    assert login.status_code == 200, login.text
    token = login.json()["access_token"]

    created = gateway.post(
        "/rpc/run_prompt", {"prompt_id": str(prompt), "inputs": {"name": "Ada"}}, token
    )
    assert created.status_code == 200, created.text
    body = created.json()
    assert body["status"] == "queued"
    request_id = body["id"]

    def finished() -> dict[str, object] | None:
        answer = gateway.get(f"/ai_requests?id=eq.{request_id}", token)
        assert answer.status_code == 200, answer.text
        [row] = answer.json()
        return row if row["status"] in ("succeeded", "failed", "cancelled") else None

    row = wait_for(finished, timeout=15, interval=0.1, what="the request finishes")
    assert row["status"] == "succeeded", row
    assert row["result"] == "Hello, gateway!"
    assert row["attempts"] == 1
    assert row["error"] is None

    [usage] = usage_rows(jobs_db, request_id)
    assert usage["input_tokens"] > 0 and usage["output_tokens"] > 0
    assert (row["tokens_in"], row["tokens_out"]) == (usage["input_tokens"], usage["output_tokens"])
    assert float(str(row["cost"])) == float(usage["cost"])
    assert usage["endpoint"] == "job" and usage["provider"] == "fake"
    assert _events(jobs_db, request_id) == [
        ("created", "queued"),
        ("updated", "running"),
        ("updated", "succeeded"),
    ]
    assert request(jobs_db, request_id)["job_status"] == "succeeded"
    assert reservations(jobs_db, request_id) == []


def test_transient_failures_are_retried_until_success(
    jobs_db: Database, workers: list[Process], tenant: Tenant
) -> None:
    prompt = make_prompt(jobs_db, tenant, {"fake_fail": "transient", "fake_fail_times": 2})
    request_id = run_prompt(jobs_db, tenant, prompt)
    row = wait_status(jobs_db, request_id, "succeeded", "failed", timeout=15)
    assert row["status"] == "succeeded", row
    assert row["attempts"] == 3
    assert row["last_error"] == "transient: fake transient failure (attempt 2)"
    assert row["error"] is None
    assert row["job_status"] == "succeeded" and row["job_attempts"] == 3
    assert len(usage_rows(jobs_db, request_id)) == 1
    assert [e for e in _events(jobs_db, request_id) if e[0] == "updated"] == [
        ("updated", "running"),
        ("updated", "queued"),
        ("updated", "running"),
        ("updated", "queued"),
        ("updated", "running"),
        ("updated", "succeeded"),
    ]


def test_a_permanent_failure_fails_at_once_with_a_readable_error(
    jobs_db: Database, workers: list[Process], tenant: Tenant
) -> None:
    prompt = make_prompt(jobs_db, tenant, {"fake_fail": "permanent"})
    request_id = run_prompt(jobs_db, tenant, prompt)
    row = wait_status(jobs_db, request_id, "succeeded", "failed", timeout=15)
    assert row["status"] == "failed"
    assert row["attempts"] == 1
    assert row["error"] == "permanent: fake permanent failure (attempt 1)"
    assert row["result"] is None
    assert usage_rows(jobs_db, request_id) == []
    assert reservations(jobs_db, request_id) == []
    wait_for(lambda: request(jobs_db, request_id)["job_status"] == "failed", timeout=5)
    assert request(jobs_db, request_id)["job_attempts"] == 1


def test_retry_after_is_a_floor_for_the_next_attempt(
    jobs_db: Database, workers: list[Process], tenant: Tenant
) -> None:
    prompt = make_prompt(
        jobs_db,
        tenant,
        {"fake_fail": "rate_limited", "fake_fail_times": 1, "fake_retry_after": 1.5},
    )
    request_id = run_prompt(jobs_db, tenant, prompt)

    def requeued() -> Row | None:
        row = request(jobs_db, request_id)
        return row if row["status"] == "queued" and row["attempts"] == 1 else None

    queued = wait_for(requeued, timeout=10, what="the first attempt fails and is queued again")
    retry_at = queued["next_attempt_at"]
    assert isinstance(retry_at, datetime.datetime)
    row = wait_status(jobs_db, request_id, "succeeded", "failed", timeout=10)
    assert row["status"] == "succeeded" and row["attempts"] == 2
    assert row["last_error"].startswith("rate_limited: ")

    [failed_at] = [
        e["created_at"]
        for e in rows(
            jobs_db,
            "SELECT created_at FROM app.events WHERE entity_id = %s"
            " AND kind = 'updated' AND payload ->> 'status' = 'queued'",
            request_id,
        )
    ]
    job_id = row["job_id"]
    started = [e["at"] for e in job_events(jobs_db, job_id) if e["type"] == "started"]
    assert len(started) == 2
    # The decision (now + 1.5 s) is taken a moment before the failure is recorded.
    assert (retry_at - failed_at).total_seconds() >= 1.45
    assert started[1] >= retry_at
    assert row["started_at"] >= retry_at
    assert (started[1] - failed_at).total_seconds() >= 1.45
    [job] = rows(
        jobs_db, "SELECT scheduled_at FROM procrastinate.procrastinate_jobs WHERE id = %s", job_id
    )
    assert job["scheduled_at"] == retry_at


def test_cancelling_a_running_request_aborts_its_job(
    jobs_db: Database, workers: list[Process], tenant: Tenant
) -> None:
    prompt = make_prompt(jobs_db, tenant, {"fake_latency_ms": 5000})
    request_id = run_prompt(jobs_db, tenant, prompt)
    running = wait_status(jobs_db, request_id, "running", timeout=10)
    wait_for(lambda: reservations(jobs_db, request_id), timeout=5, what="the budget is reserved")
    cancelled_at = time.monotonic()
    assert cancel_request(jobs_db, tenant, request_id) == "cancelled"

    job_id = running["job_id"]

    def job_done() -> str | None:
        status = str(request(jobs_db, request_id)["job_status"])
        return status if status not in ("todo", "doing") else None

    job_status = wait_for(job_done, timeout=3, what="the job stops")
    assert time.monotonic() - cancelled_at < 2.5
    row = request(jobs_db, request_id)
    assert row["status"] == "cancelled" and row["result"] is None
    assert usage_rows(jobs_db, request_id) == []
    assert wait_for(lambda: not reservations(jobs_db, request_id) or None, timeout=2)
    types = [e["type"] for e in job_events(jobs_db, job_id)]
    assert "abort_requested" in types
    time.sleep(1.0)  # a retry, if one was scheduled, would have started by now
    assert [e["type"] for e in job_events(jobs_db, job_id)].count("started") == 1
    # Not offered a retry (which would turn the abort-requested job into 'failed').
    assert job_status == "aborted", types


def test_a_rolled_back_run_prompt_leaves_no_job_and_a_committed_one_exactly_one(
    jobs_db: Database, tenant: Tenant
) -> None:
    prompt = make_prompt(jobs_db, tenant, {})
    count = (
        "SELECT count(*) AS n FROM procrastinate.procrastinate_jobs"
        " WHERE task_name = 'ai.run_request'"
    )
    before = rows(jobs_db, count)[0]["n"]
    with jobs_db.connect() as conn:
        conn.execute("BEGIN")
        as_member(conn, tenant)
        [(rolled_back,)] = conn.execute(
            "SELECT id::text FROM api.run_prompt(%s, %s)", (prompt, json.dumps({"name": "x"}))
        ).fetchall()
        conn.execute("ROLLBACK")
    assert rows(jobs_db, count)[0]["n"] == before
    assert rows(jobs_db, "SELECT 1 FROM api.ai_requests WHERE id = %s", rolled_back) == []
    assert (
        rows(
            jobs_db,
            "SELECT 1 FROM procrastinate.procrastinate_jobs WHERE args ->> 'request_id' = %s",
            rolled_back,
        )
        == []
    )

    committed = run_prompt(jobs_db, tenant, prompt)
    assert rows(jobs_db, count)[0]["n"] == before + 1
    jobs = rows(
        jobs_db,
        "SELECT j.id, j.queue_name, j.args FROM procrastinate.procrastinate_jobs j"
        " WHERE j.args ->> 'request_id' = %s",
        committed,
    )
    assert len(jobs) == 1
    assert jobs[0]["queue_name"] == "ai" and jobs[0]["args"] == {"request_id": committed}
    assert request(jobs_db, committed)["job_id"] == jobs[0]["id"]


def test_periodic_tasks_are_deferred_once_per_period_by_two_workers(
    jobs_db: Database, workers: list[Process]
) -> None:
    assert all(w.alive() for w in workers)
    # The workers have been running since the module started; make sure it is 4 s at least.
    time.sleep(max(0.0, 4.5 - (time.monotonic() - min(w.started for w in workers))))
    task = "maintenance.retry_stalled_jobs"
    # the defers first: a job and its defer row are created together, so every defer read
    # now has its job in the later read (the other order races the next second's defer)
    defers = rows(
        jobs_db,
        "SELECT defer_timestamp, job_id FROM procrastinate.procrastinate_periodic_defers"
        " WHERE task_name = %s",
        task,
    )
    jobs = rows(
        jobs_db,
        "SELECT id, (args ->> 'timestamp')::bigint AS ts, status::text FROM"
        " procrastinate.procrastinate_jobs WHERE task_name = %s ORDER BY ts",
        task,
    )
    timestamps = [j["ts"] for j in jobs]
    assert len(timestamps) >= 4
    assert len(set(timestamps)) == len(timestamps), "a period was deferred twice"
    assert {d["defer_timestamp"] for d in defers} <= set(timestamps)
    starts = rows(
        jobs_db,
        "SELECT e.job_id, count(*) AS n FROM procrastinate.procrastinate_events e"
        " JOIN procrastinate.procrastinate_jobs j ON j.id = e.job_id"
        " WHERE j.task_name = %s AND e.type = 'started' GROUP BY e.job_id",
        task,
    )
    assert all(s["n"] == 1 for s in starts), "a periodic job ran twice"
    # Every second has its job: no period was skipped while both workers ran.
    recent = [t for t in timestamps if t >= timestamps[-1] - 3]
    assert recent == list(range(timestamps[-1] - 3, timestamps[-1] + 1))

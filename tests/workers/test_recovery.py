"""Workers that stop, die, freeze or come back late, and requests that outlive them.

Each test starts its own `python -m workers` processes (and signals them); the module's
database is shared, each test uses its own tenant. Timings are the suite's fast ones
(tests.stack.FAST_WORKER_ENV): heartbeat 0.5 s, stalled after 2 s, reaper every second,
graceful shutdown 1 s.
"""

from __future__ import annotations

import signal
import time

import pytest

from taproot.database import Database
from tests.stack import (
    Process,
    Row,
    Tenant,
    cancel_request,
    job_events,
    make_prompt,
    request,
    reservations,
    rows,
    run_prompt,
    started_job,
    usage_rows,
    wait_for,
    wait_status,
)
from tests.workers.conftest import Spawn

pytestmark = pytest.mark.slow

SHUTDOWN_TIMEOUT = 1.0  # TAPROOT_WORKER_SHUTDOWN_TIMEOUT in FAST_WORKER_ENV


def _usage_daily(db: Database, tenant: Tenant) -> Row:
    [row] = rows(
        db,
        "SELECT requests, tokens_in, tokens_out, tokens_reserved FROM api.usage_daily"
        " WHERE workspace_id = %s",
        tenant.workspace_id,
    )
    return row


def _running_with_reservation(db: Database, request_id: str) -> Row:
    row = wait_status(db, request_id, "running", timeout=10)
    wait_for(lambda: reservations(db, request_id), timeout=5, what="the budget is reserved")
    return row


def _runner_of(workers: list[Process], job_id: int) -> Process:
    return wait_for(
        lambda: started_job(workers, job_id), timeout=5, what=f"a worker logs job {job_id}"
    )


def test_a_request_cancelled_while_queued_is_never_run(
    jobs_db: Database, tenant: Tenant, spawn: Spawn
) -> None:
    prompt = make_prompt(jobs_db, tenant, {})
    request_id = run_prompt(jobs_db, tenant, prompt)
    assert cancel_request(jobs_db, tenant, request_id) == "cancelled"
    row = request(jobs_db, request_id)
    assert row["status"] == "cancelled" and row["job_status"] == "cancelled"

    worker = spawn(name="late")
    other = make_prompt(jobs_db, tenant, {})
    probe = run_prompt(jobs_db, tenant, other)  # proves the worker is taking jobs
    wait_status(jobs_db, probe, "succeeded", timeout=10)
    time.sleep(0.6)  # one polling interval more
    row = request(jobs_db, request_id)
    assert row["status"] == "cancelled" and row["job_status"] == "cancelled"
    assert row["attempts"] == 0 and row["started_at"] is None and row["result"] is None
    types = [e["type"] for e in job_events(jobs_db, row["job_id"])]
    assert types[0] == "deferred" and types[-1] == "cancelled" and "started" not in types
    assert f"[{row['job_id']}]" not in worker.output()
    assert usage_rows(jobs_db, request_id) == []


def test_a_killed_workers_job_is_recovered_by_another_and_charged_once(
    jobs_db: Database, tenant: Tenant, spawn: Spawn
) -> None:
    workers = [spawn(name="k1"), spawn(name="k2")]
    prompt = make_prompt(jobs_db, tenant, {"fake_latency_ms": 3000, "fake_output": "recovered"})
    request_id = run_prompt(jobs_db, tenant, prompt)
    running = _running_with_reservation(jobs_db, request_id)
    victim = _runner_of(workers, running["job_id"])
    survivor = next(w for w in workers if w is not victim)
    killed_at = time.monotonic()
    victim.send(signal.SIGKILL)

    row = wait_status(jobs_db, request_id, "succeeded", "failed", timeout=20)
    recovered_in = time.monotonic() - killed_at
    assert row["status"] == "succeeded", row
    assert row["result"] == "recovered"
    assert row["attempts"] == 2
    assert survivor.alive()
    assert "retried stalled job" in survivor.output()
    # stalled after 2 s, found by the next reaper run (every second), then a 3 s attempt
    assert recovered_in < 2 + 1 + 3 + 3
    [usage] = usage_rows(jobs_db, request_id)
    daily = _usage_daily(jobs_db, tenant)
    assert daily["requests"] == 1
    assert (daily["tokens_in"], daily["tokens_out"]) == (
        usage["input_tokens"],
        usage["output_tokens"],
    )
    assert (row["tokens_in"], row["tokens_out"]) == (usage["input_tokens"], usage["output_tokens"])
    types = [e["type"] for e in job_events(jobs_db, row["job_id"])]
    assert types.count("started") == 2 and types[-1] == "succeeded"

    # The dead attempt's reservation is held until it expires; the cache task frees it.
    [held] = reservations(jobs_db, request_id)
    assert daily["tokens_reserved"] == held["tokens"]
    with jobs_db.connect() as conn:
        conn.execute(
            "UPDATE app.budget_reservations SET expires_at = created_at + interval '1 ms'"
            " WHERE request_id = %s",
            (request_id,),
        )
        conn.execute("SELECT app.release_expired_reservations()")
    assert reservations(jobs_db, request_id) == []
    assert _usage_daily(jobs_db, tenant)["tokens_reserved"] == 0


def test_a_frozen_worker_that_comes_back_late_changes_nothing(
    jobs_db: Database, tenant: Tenant, spawn: Spawn
) -> None:
    workers = [spawn(name="s1"), spawn(name="s2")]
    prompt = make_prompt(jobs_db, tenant, {"fake_latency_ms": 3000})
    request_id = run_prompt(jobs_db, tenant, prompt)
    running = _running_with_reservation(jobs_db, request_id)
    job_id = running["job_id"]
    frozen = _runner_of(workers, job_id)
    frozen.send(signal.SIGSTOP)
    try:
        done = wait_status(jobs_db, request_id, "succeeded", "failed", timeout=20)
    finally:
        frozen.send(signal.SIGCONT)
    assert done["status"] == "succeeded" and done["attempts"] == 2
    usage_before = usage_rows(jobs_db, request_id)
    assert len(usage_before) == 1

    # Its provider call is long over: the late worker tries to finish attempt 1 at once.
    marker = f"ai.run_request[{job_id}](request_id='{request_id}') ended with status"
    wait_for(
        lambda: frozen.output().count(marker) >= 1,
        timeout=10,
        what="the late worker ends its attempt",
    )
    time.sleep(0.3)
    after = request(jobs_db, request_id)
    outcome = ("status", "result", "attempts", "tokens_in", "tokens_out", "cost", "finished_at")
    assert {c: after[c] for c in outcome} == {c: done[c] for c in outcome}
    assert after["job_status"] == "succeeded"
    assert usage_rows(jobs_db, request_id) == usage_before
    assert _usage_daily(jobs_db, tenant)["requests"] == 1
    assert frozen.alive()

    # The late attempt knows it lost (the request was charged by the winner: one usage row
    # per request) and gives its reservation back instead of holding it until expiry.
    assert reservations(jobs_db, request_id) == []
    assert "UniqueViolation" not in frozen.output()
    assert f"ai.run_request[{job_id}](request_id='{request_id}') ended with status: Success" in (
        frozen.output()
    )


def test_sigterm_during_a_long_job_requeues_it_for_the_next_worker(
    jobs_db: Database, tenant: Tenant, spawn: Spawn
) -> None:
    worker = spawn(name="t1")
    prompt = make_prompt(jobs_db, tenant, {"fake_latency_ms": 10_000, "fake_output": "second"})
    request_id = run_prompt(jobs_db, tenant, prompt)
    running = _running_with_reservation(jobs_db, request_id)
    assert running["attempts"] == 1

    signalled = time.monotonic()
    worker.send(signal.SIGTERM)
    code = worker.proc.wait(timeout=SHUTDOWN_TIMEOUT + 5)
    took = time.monotonic() - signalled
    assert code == 0, worker.output()
    assert took < SHUTDOWN_TIMEOUT + 3, f"exited after {took:.1f} s"

    row = request(jobs_db, request_id)
    assert row["status"] == "queued"
    assert "shut down" in row["last_error"]
    assert row["attempts"] == 1 and row["result"] is None
    assert row["job_status"] == "todo"
    assert reservations(jobs_db, request_id) == []
    assert usage_rows(jobs_db, request_id) == []

    spawn(name="t2")
    row = wait_status(jobs_db, request_id, "succeeded", "failed", timeout=20)
    assert row["status"] == "succeeded" and row["result"] == "second"
    assert row["attempts"] == 2
    assert len(usage_rows(jobs_db, request_id)) == 1

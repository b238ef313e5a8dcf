"""Liveness, readiness and `taproot doctor` against real processes.

/api/live answers without the database; /api/ready turns 503 when the worker dies (its
heartbeat goes stale) and 200 again when one returns; it reports a schema behind the plan
(the last change reverted); the doctor prints the same checks with what to do.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from taproot import ROOT
from taproot.database import Database, plan_changes, revert
from tests.ops.processes import Procs
from tests.stack import wait_for

# a worker silent for 2 s is not ready (the tests' workers beat every 0.5 s)
READY_ARGS = '{"max_heartbeat_age": 2, "max_queue_lag": 60}'


@pytest.fixture
def procs(tmp_path: Path) -> Iterator[Procs]:
    started = Procs(tmp_path)
    try:
        yield started
    finally:
        started.stop_all()


def _ready(url: str) -> tuple[int, dict[str, Any]]:
    answer = requests.get(url + "/ready", timeout=10)
    return answer.status_code, answer.json()


def _until(url: str, status: int, timeout: float = 15) -> dict[str, Any]:
    def probe() -> dict[str, Any] | None:
        code, body = _ready(url)
        return body if code == status else None

    return wait_for(probe, timeout=timeout, interval=0.2, what=f"/ready answers {status}")


def test_ready_follows_the_worker_and_the_sidecar(app_db: Database, procs: Procs) -> None:
    _, _, sidecar_port = procs.sidecar(app_db)
    gateway, url = procs.gateway(app_db, sidecar_port=sidecar_port, TAPROOT_READY_ARGS=READY_ARGS)
    # no worker yet: alive, not ready, and it says why
    live = requests.get(url + "/live", timeout=5)
    assert live.status_code == 200 and live.json()["status"] == "ok"
    body = _until(url, 503)
    assert body["failing"] == ["worker"], body
    assert body["checks"]["schema"]["ok"] and body["checks"]["schema_cache"]["ok"]
    assert body["checks"]["sidecar"]["detail"]["database"] == "ok"
    assert set(body["checks"]) >= {"database", "schema_cache", "schema", "worker", "queue"}

    worker = procs.worker(app_db)
    body = _until(url, 200)
    assert body["status"] == "ready" and body["checks"]["worker"]["fresh_workers"] == 1

    worker.send(signal.SIGKILL)  # a crash: its heartbeat stops, its row stays
    body = _until(url, 503)
    assert body["failing"] == ["worker"]
    assert body["checks"]["worker"]["last_heartbeat_age_seconds"] > 2

    procs.worker(app_db, name="worker-2")
    _until(url, 200)
    assert gateway.alive()


def test_ready_reports_a_schema_behind_the_plan(app_db: Database, procs: Procs) -> None:
    procs.worker(app_db)
    _, url = procs.gateway(app_db, TAPROOT_READY_ARGS=READY_ARGS)
    _until(url, 200)
    changes = plan_changes()
    revert(app_db, changes[-2])  # the plan's last change is not deployed any more
    body = _until(url, 503)
    assert "schema" in body["failing"], body
    schema = body["checks"]["schema"]
    assert schema["ok"] is False and schema["expected"] == changes[-1], schema
    assert requests.get(url + "/live", timeout=5).status_code == 200


def _doctor(db: Database, api_port: int, sidecar_port: int) -> subprocess.CompletedProcess[str]:
    from tests.stack import worker_env

    env = {k: v for k, v in worker_env(db).items() if not k.startswith("TAPROOT_WORKER")}
    env.update(
        {
            "DATABASE_URL": db.url,
            "API_PORT": str(api_port),
            "SIDECAR_PORT": str(sidecar_port),
        }
    )
    return subprocess.run(
        [sys.executable, "-m", "taproot", "doctor"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_doctor_names_each_problem_and_its_fix(app_db: Database, procs: Procs) -> None:
    from taproot.cluster import free_port

    _, url = procs.gateway(app_db, TAPROOT_READY_ARGS=READY_ARGS)
    port = int(url.split(":")[2].split("/")[0])
    result = _doctor(app_db, port, free_port())
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert any(line.startswith("ok") and "database" in line for line in lines), result.stdout
    worker = next(i for i, line in enumerate(lines) if line.startswith("FAIL") and "worker" in line)
    assert "taproot worker" in lines[worker + 1], result.stdout  # what to do about it
    assert any(line.startswith("FAIL") and "sidecar" in line for line in lines), result.stdout
    assert any(line.startswith("ok") and "schema" in line for line in lines), result.stdout

    procs.worker(app_db)
    _, _, sidecar_port = procs.sidecar(app_db)
    result = _doctor(app_db, port, sidecar_port)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "everything looks right" in result.stdout

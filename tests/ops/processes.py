"""Real gateway, sidecar and worker processes on a test database, for the ops suites.

Each starts on a free port, logs to a file of its own (JSON lines: not a terminal) and is
stopped by the `procs` fixture whatever the test did. The gateway is configured as
`taproot up` configures it, readiness checks included; `locked` holds an ACCESS
EXCLUSIVE lock on a table so that a request touching it waits, holding its connection.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import requests

from taproot import ROOT
from taproot.cluster import free_port
from taproot.database import Database, plan_changes
from tests.conftest import AUTHENTICATOR_PASSWORD
from tests.stack import Process, _spawn, login_url, wait_for, worker_env

JWT_AUD = "taproot"


def jwt_secret(db: Database) -> str:
    with db.connect() as conn:
        row = conn.execute("SELECT auth.jwt_secret()").fetchone()
    assert row is not None
    return str(row[0])


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("PGRST_", "TAPROOT_"))}


@dataclass
class Procs:
    """Every process a test started; `stop_all` stops them (SIGTERM, then SIGKILL)."""

    log_dir: Path
    started: list[Process] = field(default_factory=list)

    def gateway(
        self, db: Database, *, sidecar_port: int | None = None, wait: bool = True, **env: str
    ) -> tuple[Process, str]:
        from taproot.up import RATE_LIMIT_ENV, REALTIME_ENV

        port = free_port()
        values = _clean_env()
        values.update(
            {
                "PGRST_DB_URI": login_url(db, "authenticator", AUTHENTICATOR_PASSWORD),
                "PGRST_DB_SCHEMAS": "api",
                "PGRST_DB_ANON_ROLE": "anon",
                "PGRST_DB_EXTRA_SEARCH_PATH": "extensions",
                "PGRST_JWT_SECRET": jwt_secret(db),
                "PGRST_JWT_AUD": JWT_AUD,
                "PGRST_SERVER_HOST": "127.0.0.1",
                "PGRST_SERVER_PORT": str(port),
                "PGRST_SERVER_ROOT_PATH": "/api",
                "PGRST_SERVER_WORKERS": "1",
                "PGRST_LOG_LEVEL": "info",
                "PYTHONUNBUFFERED": "1",
                "TAPROOT_REQUEST_ID_ECHO": "true",
                "TAPROOT_READY_FUNCTION": "app.readiness",
                "TAPROOT_EXPECTED_CHANGE": plan_changes()[-1],
                **REALTIME_ENV,
                **RATE_LIMIT_ENV,
            }
        )
        if sidecar_port is not None:
            values["TAPROOT_PROXY"] = f"/api/ai=http://127.0.0.1:{sidecar_port}"
            values["TAPROOT_READY_PROBES"] = (
                f"sidecar=http://127.0.0.1:{sidecar_port}/api/ai/health"
            )
        values.update(env)
        proc = _spawn("gateway", [sys.executable, "-m", "gateway"], values, self.log_dir)
        self.started.append(proc)
        url = f"http://127.0.0.1:{port}/api"
        if wait:
            wait_for(_answers(proc, url + "/live"), timeout=30, interval=0.1, what="gateway")
        return proc, url

    def sidecar(self, db: Database, **env: str) -> tuple[Process, str, int]:
        port = free_port()
        values = _clean_env()
        values.update(
            {
                "TAPROOT_SIDECAR_DB_URI": login_url(db, "authenticator", AUTHENTICATOR_PASSWORD),
                "TAPROOT_JWT_SECRET": jwt_secret(db),
                "TAPROOT_JWT_AUD": JWT_AUD,
                "SIDECAR_HOST": "127.0.0.1",
                "SIDECAR_PORT": str(port),
                "TAPROOT_SIDECAR_WORKERS": "1",
                "TAPROOT_SIDECAR_THREADS": "16",
                "TAPROOT_SIDECAR_TRUSTED_PROXIES": "1",
                "TAPROOT_AI_DEFAULT_PROVIDER": "fake",
                "TAPROOT_SIDECAR_LOG_LEVEL": "info",
                "PYTHONUNBUFFERED": "1",
                "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'api-sidecar'}",
            }
        )
        values.update(env)
        proc = _spawn("sidecar", [sys.executable, "-m", "sidecar"], values, self.log_dir)
        self.started.append(proc)
        url = f"http://127.0.0.1:{port}/api/ai"
        wait_for(_answers(proc, url + "/health"), timeout=30, interval=0.1, what="sidecar")
        return proc, url, port

    def worker(self, db: Database, name: str = "worker", **env: str) -> Process:
        from tests.stack import start_worker

        proc = start_worker(db, self.log_dir, name=name, env=worker_env(db, **env))
        self.started.append(proc)
        return proc

    def stop_all(self) -> None:
        for proc in self.started:
            proc.stop(timeout=10)


def _answers(proc: Process, url: str) -> Any:
    def probe() -> bool:
        if not proc.alive():
            raise RuntimeError(f"{proc.name} exited:\n{proc.output()}")
        try:
            return requests.get(url, timeout=1).status_code == 200
        except requests.RequestException:
            return False

    return probe


def json_lines(proc: Process) -> list[dict[str, Any]]:
    """Every line the process logged, each parsed as JSON (a line that is not fails)."""
    out = []
    for line in proc.output().splitlines():
        if line.strip():
            try:
                out.append(json.loads(line))
            except ValueError:
                raise AssertionError(f"{proc.name} logged a non-JSON line: {line!r}") from None
    return out


@contextlib.contextmanager
def locked(db: Database, table: str) -> Iterator[psycopg.Connection[Any]]:
    """ACCESS EXCLUSIVE on `table` until the block ends: statements touching it wait."""
    with psycopg.connect(db.url) as conn:
        conn.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
        yield conn
        conn.rollback()


def waiting_on_lock(db: Database, application: str) -> bool:
    with psycopg.connect(db.url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE application_name = %s AND wait_event_type = 'Lock'",
            (application,),
        ).fetchone()
    return bool(row and row[0])


def refused(port: int) -> bool:
    """True when nothing accepts TCP connections on 127.0.0.1:`port`."""
    with socket.socket() as sock:
        sock.settimeout(1)
        try:
            sock.connect(("127.0.0.1", port))
        except (ConnectionRefusedError, TimeoutError):
            return True
        except OSError:
            return True
    return False


def port_of(url: str) -> int:
    return int(url.split("://", 1)[1].split("/", 1)[0].rsplit(":", 1)[1])


def wait_exit(proc: Process, timeout: float) -> int:
    deadline = time.monotonic() + timeout
    while proc.alive():
        assert time.monotonic() < deadline, f"{proc.name} still running:\n{proc.output()}"
        time.sleep(0.05)
    return int(proc.proc.returncode)

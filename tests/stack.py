"""Real processes of the asynchronous half, and the tenants that drive them.

`start_worker` runs `python -m workers` (Procrastinate's own worker, as `taproot worker`
does) against a test database as `authenticator`; `start_gateway` runs `python -m gateway`
configured as `taproot up` configures it. Both log to a file the test can read (and that
is printed when a test fails). `make_tenant` / `make_prompt` / `run_prompt` create what
the API would: a member with a password, a prompt version with fake-provider knobs, and a
queued request created under the member's role and claims, exactly as the gateway does.
Used by tests/workers and by bench/jobs.py.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

import psycopg
import requests
from psycopg.rows import dict_row

from taproot import ROOT
from taproot.cluster import free_port
from taproot.database import Database

T = TypeVar("T")
Row = dict[str, Any]

# Small timings so crash recovery takes seconds, not minutes: heartbeat every 0.5 s, a
# worker silent for 2 s is stalled, the reaper runs every second, polling every 0.5 s.
FAST_WORKER_ENV: dict[str, str] = {
    "TAPROOT_WORKER_HEARTBEAT_SECONDS": "0.5",
    "TAPROOT_WORKER_STALLED_SECONDS": "2",
    "TAPROOT_WORKER_POLLING_SECONDS": "0.5",
    "TAPROOT_SCHEDULE_STALLED_JOBS": "* * * * * *",
    "TAPROOT_WORKER_SHUTDOWN_TIMEOUT": "1",
    "TAPROOT_AI_RETRY_BASE_SECONDS": "0.05",
    "TAPROOT_AI_RETRY_CAP_SECONDS": "1",
    "TAPROOT_WORKER_CONCURRENCY": "20",
    # The tests read Procrastinate's INFO lines: "Starting worker on", "Starting job …[id]".
    "TAPROOT_WORKER_LOG_LEVEL": "info",
}


def wait_for(
    probe: Callable[[], T | None], *, timeout: float, interval: float = 0.05, what: str = ""
) -> T:
    """The first truthy value `probe()` returns within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"not within {timeout} s: {what or probe}")
        time.sleep(interval)


def login_url(db: Database, user: str, password: str | None = None) -> str:
    """A postgresql:// URL for `user` on `db`'s database through the same socket or host."""
    parts = psycopg.conninfo.conninfo_to_dict(db.url)
    host = str(parts.get("host") or "localhost")
    port = str(parts.get("port") or 5432)
    auth = quote(user) + (f":{quote(password, safe='')}" if password else "")
    if host.startswith("/"):
        return f"postgresql://{auth}@/{parts['dbname']}?host={quote(host, safe='/')}&port={port}"
    return f"postgresql://{auth}@{host}:{port}/{parts['dbname']}"


def worker_env(db: Database, *, password: str | None = None, **overrides: str) -> dict[str, str]:
    """The environment of a worker process on `db`: fast timings, then `overrides`."""
    from tests.conftest import AUTHENTICATOR_PASSWORD

    env = {k: v for k, v in os.environ.items() if not k.startswith("TAPROOT_")}
    env.update(FAST_WORKER_ENV)
    env["TAPROOT_WORKER_DB_URI"] = login_url(
        db, "authenticator", AUTHENTICATOR_PASSWORD if password is None else password
    )
    env["PYTHONUNBUFFERED"] = "1"
    env.update(overrides)
    return env


@dataclass
class Process:
    """A child process whose stdout and stderr go to `log`."""

    name: str
    proc: subprocess.Popen[bytes]
    log: Path
    started: float = field(default_factory=time.monotonic)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def output(self) -> str:
        try:
            return self.log.read_text(errors="replace")
        except OSError:
            return ""

    def send(self, signum: signal.Signals) -> None:
        self.proc.send_signal(signum)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self, timeout: float = 20.0) -> int:
        """SIGCONT (in case it was stopped), SIGTERM, then SIGKILL after `timeout`."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.terminate()
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


def _spawn(name: str, argv: list[str], env: Mapping[str, str], log_dir: Path) -> Process:
    log_dir.mkdir(parents=True, exist_ok=True)
    log = log_dir / f"{name}-{uuid.uuid4().hex[:6]}.log"
    with log.open("wb") as handle:
        proc = subprocess.Popen(
            argv, env=dict(env), cwd=ROOT, stdout=handle, stderr=subprocess.STDOUT
        )
    return Process(name, proc, log)


def start_worker(
    db: Database,
    log_dir: Path,
    *,
    name: str = "worker",
    args: tuple[str, ...] = (),
    env: Mapping[str, str] | None = None,
    timeout: float = 30.0,
) -> Process:
    """`python -m workers --name NAME ARGS…`, returned once its worker loop has started."""
    worker = _spawn(
        name,
        [sys.executable, "-X", "faulthandler", "-m", "workers", "--name", name, *args],
        env if env is not None else worker_env(db),
        log_dir,
    )

    def started() -> bool:
        if not worker.alive():
            code = worker.proc.returncode
            raise RuntimeError(f"worker {name} exited ({code}):\n{worker.output()}")
        return "Starting worker on" in worker.output()

    try:
        wait_for(started, timeout=timeout, what=f"worker {name} starts")
    except BaseException:
        worker.stop()
        raise
    return worker


def started_job(workers: list[Process], job_id: int) -> Process | None:
    """The worker whose log says it started job `job_id` (most recent wins)."""
    marker = f"Starting job ai.run_request[{job_id}]"
    found = [w for w in workers if marker in w.output()]
    return found[-1] if found else None


@dataclass
class Gateway:
    process: Process
    url: str  # ends with the root path /api

    def post(self, path: str, body: Any, token: str | None = None) -> requests.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return requests.post(self.url + path, json=body, headers=headers, timeout=30)

    def get(self, path: str, token: str | None = None) -> requests.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return requests.get(self.url + path, headers=headers, timeout=30)


def start_gateway(db: Database, log_dir: Path, *, timeout: float = 30.0) -> Gateway:
    """`python -m gateway` with the PGRST_* settings `taproot up` uses."""
    from taproot.up import REALTIME_ENV
    from tests.conftest import AUTHENTICATOR_PASSWORD

    with db.connect() as conn:
        row = conn.execute("SELECT auth.jwt_secret()").fetchone()
    assert row is not None
    port = free_port()
    env = {
        **os.environ,
        "PGRST_DB_URI": login_url(db, "authenticator", AUTHENTICATOR_PASSWORD),
        "PGRST_DB_SCHEMAS": "api",
        "PGRST_DB_ANON_ROLE": "anon",
        "PGRST_DB_EXTRA_SEARCH_PATH": "extensions",
        "PGRST_JWT_SECRET": str(row[0]),
        "PGRST_JWT_AUD": "taproot",
        "PGRST_SERVER_HOST": "127.0.0.1",
        "PGRST_SERVER_PORT": str(port),
        "PGRST_SERVER_ROOT_PATH": "/api",
        "PGRST_SERVER_WORKERS": "1",
        "PGRST_LOG_LEVEL": "error",
        **REALTIME_ENV,
    }
    process = _spawn("gateway", [sys.executable, "-m", "gateway"], env, log_dir)
    gateway = Gateway(process, f"http://127.0.0.1:{port}/api")

    def ready() -> bool:
        if not process.alive():
            raise RuntimeError(f"the gateway exited:\n{process.output()}")
        try:
            return gateway.get("/ready").status_code == 200
        except requests.RequestException:
            return False

    try:
        wait_for(ready, timeout=timeout, interval=0.1, what="the gateway is ready")
    except BaseException:
        process.stop()
        raise
    return gateway


# -- tenants, prompts and requests -----------------------------------------------------------


@dataclass(frozen=True)
class Tenant:
    """A workspace and one of its members (who may run prompts), with a password."""

    workspace_id: uuid.UUID
    user_id: uuid.UUID
    email: str
    password: str

    @property
    def claims(self) -> str:
        return json.dumps({"role": "authenticated", "sub": str(self.user_id), "aud": "taproot"})


def make_tenant(db: Database, *, role: str = "member", quota: int = 100_000_000) -> Tenant:
    """A fresh workspace (owned by a fresh owner) and a `role` member with a password."""
    owner, user, workspace = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    tenant = Tenant(workspace, user, f"{user.hex[:12]}@workers.test", f"pw-{user.hex}")
    with db.connect() as conn:
        conn.execute(
            "INSERT INTO api.users (id, email, name) VALUES (%s, %s, 'Owner'), (%s, %s, 'Member')",
            (owner, f"{owner.hex[:12]}@workers.test", user, tenant.email),
        )
        conn.execute("SELECT auth.set_password(%s, %s)", (user, tenant.password))
        conn.execute(
            "INSERT INTO api.workspaces (id, name, daily_token_quota, created_by)"
            " VALUES (%s, %s, %s, %s)",
            (workspace, f"ws-{workspace.hex[:8]}", quota, owner),
        )
        conn.execute(
            "INSERT INTO api.memberships (workspace_id, user_id, role)"
            " VALUES (%s, %s, 'owner'), (%s, %s, %s)",
            (workspace, owner, workspace, user, role),
        )
    return tenant


def make_prompt(
    db: Database,
    tenant: Tenant,
    params: Mapping[str, Any] | None = None,
    *,
    template: str = "Say hello to {{name}}",
    model: str = "fake-chat",
) -> uuid.UUID:
    """A prompt with one version whose params carry the fake provider's knobs."""
    prompt = uuid.uuid4()
    with db.connect() as conn:
        conn.execute(
            "INSERT INTO api.prompts (id, workspace_id, name, created_by) VALUES (%s, %s, %s, %s)",
            (prompt, tenant.workspace_id, f"p-{prompt.hex[:10]}", tenant.user_id),
        )
        conn.execute(
            "INSERT INTO api.prompt_versions (prompt_id, template, variables, model, params,"
            ' created_by) VALUES (%s, %s, \'{"name": "string"}\', %s, %s, %s)',
            (prompt, template, model, json.dumps(dict(params or {})), tenant.user_id),
        )
    return prompt


def as_member(conn: psycopg.Connection[Any], tenant: Tenant) -> None:
    """Inside a transaction: the role and claims the gateway sets for `tenant`'s member."""
    conn.execute("SET LOCAL ROLE authenticated")
    conn.execute("SELECT set_config('request.jwt.claims', %s, true)", (tenant.claims,))


def run_prompt(db: Database, tenant: Tenant, prompt: uuid.UUID, name: str = "world") -> str:
    """api.run_prompt as the member, committed; the new request's id."""
    with db.connect() as conn, conn.transaction():
        as_member(conn, tenant)
        row = conn.execute(
            "SELECT id::text FROM api.run_prompt(%s, %s)", (prompt, json.dumps({"name": name}))
        ).fetchone()
    assert row is not None
    return str(row[0])


def cancel_request(db: Database, tenant: Tenant, request_id: str) -> str:
    with db.connect() as conn, conn.transaction():
        as_member(conn, tenant)
        row = conn.execute("SELECT status FROM api.cancel_request(%s)", (request_id,)).fetchone()
    assert row is not None
    return str(row[0])


def rows(db: Database, query: str, *args: Any) -> list[Row]:
    """The rows of a superuser query, as dicts."""
    with psycopg.connect(db.url, autocommit=True, row_factory=dict_row) as conn:
        return conn.execute(query, args).fetchall()


def request(db: Database, request_id: str) -> Row:
    """The request joined with its job's status and attempts."""
    found = rows(
        db,
        "SELECT r.*, j.status::text AS job_status, j.attempts AS job_attempts"
        " FROM api.ai_requests r LEFT JOIN procrastinate.procrastinate_jobs j ON j.id = r.job_id"
        " WHERE r.id = %s",
        request_id,
    )
    assert len(found) == 1, request_id
    return found[0]


def wait_status(db: Database, request_id: str, *statuses: str, timeout: float = 20.0) -> Row:
    """The request once its status is one of `statuses`."""

    def probe() -> Row | None:
        row = request(db, request_id)
        return row if row["status"] in statuses else None

    return wait_for(probe, timeout=timeout, what=f"request {request_id} becomes {statuses}")


def job_events(db: Database, job_id: int) -> list[Row]:
    return rows(
        db,
        "SELECT type::text, at FROM procrastinate.procrastinate_events"
        " WHERE job_id = %s ORDER BY id",
        job_id,
    )


def usage_rows(db: Database, request_id: str) -> list[Row]:
    return rows(db, "SELECT * FROM api.ai_usage WHERE request_id = %s", request_id)


def reservations(db: Database, request_id: str) -> list[Row]:
    return rows(db, "SELECT * FROM app.budget_reservations WHERE request_id = %s", request_id)

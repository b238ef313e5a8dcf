"""Fixtures for the sidecar suite: one database, one real sidecar process, fresh tenants.

The deployed schema is cloned once for the session (tests stay isolated by creating
their own users and workspaces); `python -m sidecar` serves it on a free port as the
`authenticator` role, with the fake provider as default and OpenAI pointed at a port
where nothing listens (a credential that always fails, for fallback and breakers).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import jwt
import psycopg
import pytest
import requests

from taproot import ROOT
from taproot.cluster import free_port
from taproot.database import Database
from tests.conftest import AUTHENTICATOR_PASSWORD

BREAKER_RESET_SECONDS = 1.0


@dataclass
class Sidecar:
    url: str  # base URL including the /api/ai prefix
    db: Database
    secret: str

    def token(self, user_id: uuid.UUID) -> str:
        claims = {"role": "authenticated", "sub": str(user_id), "exp": int(time.time()) + 600}
        return jwt.encode(claims, self.secret, algorithm="HS256")


@dataclass
class Tenant:
    """A workspace with an owner, and the headers that call the sidecar as that owner."""

    workspace_id: uuid.UUID
    user_id: uuid.UUID
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.token}",
            "X-Taproot-Workspace": str(self.workspace_id),
        }


def _authenticator_url(db: Database) -> str:
    parts = psycopg.conninfo.conninfo_to_dict(db.url)
    parts.update(user="authenticator", password=AUTHENTICATOR_PASSWORD)
    return psycopg.conninfo.make_conninfo(**{k: str(v) for k, v in parts.items() if v is not None})


def _libpq_url(conninfo: str) -> str:
    """pydantic settings want a URL; libpq accepts its key=value options as query params."""
    parts = psycopg.conninfo.conninfo_to_dict(conninfo)
    from urllib.parse import quote, urlencode

    host = str(parts.pop("host", "") or "")
    port = parts.pop("port", None)
    name = parts.pop("dbname", "")
    user = quote(str(parts.pop("user", "")))
    password = quote(str(parts.pop("password", "") or ""))
    query = {k: str(v) for k, v in parts.items() if v is not None}
    if host.startswith("/"):
        query["host"] = host
        host = ""
    if port:
        query["port"] = str(port)
    auth = f"{user}:{password}@" if password else f"{user}@"
    return f"postgresql://{auth}{host}/{name}" + (f"?{urlencode(query)}" if query else "")


@pytest.fixture(scope="session")
def sidecar_db(pg_server: Database, template_db: Database) -> Iterator[Database]:
    name = f"taproot_sidecar_{uuid.uuid4().hex[:8]}"
    pg_server.create(name, template=template_db.name)
    try:
        yield pg_server.with_name(name)
    finally:
        pg_server.drop(name)


def start_sidecar(
    db: Database, *, unset: tuple[str, ...] = (), **extra: str
) -> tuple[subprocess.Popen[bytes], str, str]:
    """A sidecar on a free port: the test defaults, then `extra`, minus the `unset` names."""
    with db.connect() as conn:
        row = conn.execute("SELECT auth.jwt_secret()").fetchone()
    assert row is not None
    secret = str(row[0])
    port = free_port()
    env = {
        **os.environ,
        "TAPROOT_SIDECAR_DB_URI": _libpq_url(_authenticator_url(db)),
        "PGRST_JWT_SECRET": secret,
        "SIDECAR_HOST": "127.0.0.1",
        "SIDECAR_PORT": str(port),
        "TAPROOT_SIDECAR_WORKERS": "1",
        "TAPROOT_SIDECAR_THREADS": "64",
        "TAPROOT_SECRETS_KEY": "sidecar-test-secrets-key-of-32-characters!",
        "TAPROOT_AI_DEFAULT_PROVIDER": "fake",
        "OPENAI_BASE_URL": f"http://127.0.0.1:{free_port()}/v1",
        "OPENAI_API_KEY": "sk-test-nothing-listens",
        "TAPROOT_AI_RETRY_ATTEMPTS": "2",
        "TAPROOT_AI_BREAKER_FAIL_MAX": "2",
        "TAPROOT_AI_BREAKER_RESET_SECONDS": str(BREAKER_RESET_SECONDS),
        "TAPROOT_SIDECAR_LOG_LEVEL": "warning",
        "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'api-sidecar'}",
        **extra,
    }
    for name in unset:
        env.pop(name, None)
    proc = subprocess.Popen([sys.executable, "-m", "sidecar"], env=env, cwd=ROOT)
    url = f"http://127.0.0.1:{port}/api/ai"
    deadline = time.monotonic() + 30
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"the sidecar exited during start-up ({proc.returncode})")
        try:
            if requests.get(f"{url}/health", timeout=1).status_code == 200:
                break
        except requests.RequestException:
            pass
        if time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError("the sidecar did not answer /health within 30 s")
        time.sleep(0.1)
    return proc, url, secret


def stop_process(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=35)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture(scope="session")
def sidecar(sidecar_db: Database) -> Iterator[Sidecar]:
    proc, url, secret = start_sidecar(sidecar_db)
    try:
        yield Sidecar(url, sidecar_db, secret)
    finally:
        stop_process(proc)


def make_tenant(sidecar: Sidecar, *, quota: int = 10_000_000, role: str = "owner") -> Tenant:
    user_id, workspace_id = uuid.uuid4(), uuid.uuid4()
    with sidecar.db.connect() as conn:
        conn.execute(
            "INSERT INTO api.users (id, email, name) VALUES (%s, %s, 'Sidecar Tester')",
            (user_id, f"{user_id.hex[:12]}@sidecar.test"),
        )
        conn.execute(
            "INSERT INTO api.workspaces (id, name, daily_token_quota, created_by)"
            " VALUES (%s, %s, %s, %s)",
            (workspace_id, f"ws-{workspace_id.hex[:8]}", quota, user_id),
        )
        conn.execute(
            "INSERT INTO api.memberships (workspace_id, user_id, role) VALUES (%s, %s, %s)",
            (workspace_id, user_id, role),
        )
    return Tenant(workspace_id, user_id, sidecar.token(user_id))


@pytest.fixture
def tenant(sidecar: Sidecar) -> Tenant:
    return make_tenant(sidecar)


def sql(sidecar: Sidecar, statement: str, *args: Any) -> list[tuple[Any, ...]]:
    with sidecar.db.connect() as conn:
        cursor = conn.execute(statement, args)
        return list(cursor.fetchall()) if cursor.description else []


def cut_stream(base: str, tenant: Tenant, events: int = 5) -> None:
    """Start a long streamed chat at `base` (http://host:port) and hang up after `events`
    events, as a client that goes away mid-answer (raw socket: no SDK retries or reads)."""
    host, port = base.removeprefix("http://").split("/")[0].split(":")
    body = json.dumps(
        {
            "model": "fake-chat",
            "messages": [{"role": "user", "content": "tell me a long story"}],
            "stream": True,
            "fake_output_tokens": 400,
            "fake_stream_interval_ms": 20,
        }
    ).encode()
    head = (
        f"POST /api/ai/v1/chat/completions HTTP/1.1\r\nHost: {host}\r\n"
        f"Authorization: Bearer {tenant.token}\r\nX-Taproot-Workspace: {tenant.workspace_id}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    with socket.create_connection((host, int(port)), timeout=10) as conn:
        conn.sendall(head + body)
        received = b""
        while received.count(b"data: ") < events:
            received += conn.recv(4096)


def recorded(sidecar: Sidecar, workspace_id: uuid.UUID, calls: int, timeout: float = 10) -> None:
    """Wait until the workspace has `calls` usage rows: a whole answer's row is written just
    after the answer is sent (sidecar/views/_respond.py AfterAnswer), a stream's at its end."""
    deadline = time.monotonic() + timeout
    statement = "SELECT count(*) FROM api.ai_usage WHERE workspace_id = %s"
    while (have := sql(sidecar, statement, workspace_id)[0][0]) < calls:
        assert time.monotonic() < deadline, f"{have} usage rows of {calls} after {timeout} s"
        time.sleep(0.02)

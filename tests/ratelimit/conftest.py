"""Fixtures for the limiter's suite: real gateways and sidecars on free ports.

`start_gateway(db, **env)` runs `python -m gateway` as `taproot up` configures it, plus
the test's PGRST_* overrides; `start_sidecar(db, **env)` runs `python -m sidecar`. Every
process started is stopped when the test ends (SIGTERM, then SIGKILL).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from taproot.cluster import free_port
from taproot.database import Database
from tests.conftest import AUTHENTICATOR_PASSWORD
from tests.stack import Process, _spawn, login_url, wait_for

JWT_AUD = "taproot"


@dataclass
class Server:
    process: Process
    url: str  # the API root (gateway: …/api, sidecar: …/api/ai)
    port: int


def jwt_secret(db: Database) -> str:
    with db.connect() as conn:
        row = conn.execute("SELECT auth.jwt_secret()").fetchone()
    assert row is not None
    return str(row[0])


def gateway_env(db: Database, port: int, **overrides: str) -> dict[str, str]:
    from taproot.up import RATE_LIMIT_ENV

    env = {k: v for k, v in os.environ.items() if not k.startswith(("PGRST_", "TAPROOT_"))}
    env.update(
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
            "PGRST_LOG_LEVEL": "error",
            "PYTHONUNBUFFERED": "1",
            **RATE_LIMIT_ENV,
        }
    )
    env.update(overrides)
    return env


def _ready(proc: Process, url: str) -> Callable[[], bool]:
    def probe() -> bool:
        if not proc.alive():
            raise RuntimeError(f"{proc.name} exited:\n{proc.output()}")
        try:
            return requests.get(url, timeout=1).status_code == 200
        except requests.RequestException:
            return False

    return probe


@pytest.fixture
def start_gateway(tmp_path: Path) -> Iterator[Callable[..., Server]]:
    started: list[Process] = []

    def start(db: Database, **overrides: str) -> Server:
        port = free_port()
        proc = _spawn(
            "gateway",
            [sys.executable, "-m", "gateway"],
            gateway_env(db, port, **overrides),
            tmp_path,
        )
        started.append(proc)
        url = f"http://127.0.0.1:{port}/api"
        wait_for(_ready(proc, url + "/ready"), timeout=30, interval=0.1, what="gateway ready")
        return Server(proc, url, port)

    yield start
    for proc in started:
        proc.stop(timeout=10)


@pytest.fixture
def start_sidecar(tmp_path: Path) -> Iterator[Callable[..., Server]]:
    started: list[Process] = []

    def start(db: Database, **overrides: str) -> Server:
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PGRST_", "TAPROOT_"))}
        env.update(
            {
                "TAPROOT_SIDECAR_DB_URI": login_url(db, "authenticator", AUTHENTICATOR_PASSWORD),
                "TAPROOT_JWT_SECRET": jwt_secret(db),
                "TAPROOT_JWT_AUD": JWT_AUD,
                "SIDECAR_HOST": "127.0.0.1",
                "SIDECAR_PORT": str(port),
                "TAPROOT_SIDECAR_WORKERS": "1",
                "TAPROOT_SIDECAR_THREADS": "16",
                "TAPROOT_AI_DEFAULT_PROVIDER": "fake",
                "TAPROOT_SIDECAR_LOG_LEVEL": "warning",
                "PYTHONUNBUFFERED": "1",
            }
        )
        env.update(overrides)
        proc = _spawn("sidecar", [sys.executable, "-m", "sidecar"], env, tmp_path)
        started.append(proc)
        url = f"http://127.0.0.1:{port}/api/ai"
        wait_for(_ready(proc, url + "/health"), timeout=30, interval=0.1, what="sidecar ready")
        return Server(proc, url, port)

    yield start
    for proc in started:
        proc.stop(timeout=10)

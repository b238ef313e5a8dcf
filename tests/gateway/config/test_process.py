"""`python -m gateway` as an operator runs it: on a unix socket (server-unix-socket with
server-unix-socket-mode) instead of TCP, the admin server beside it, SIGUSR2 reloading the
in-database configuration, SIGTERM stopping both listeners with exit code 0."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import requests

from taproot.cluster import free_port
from taproot.database import Database
from tests.gateway.config._cfg import Conn, eventually, set_role, settings

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def short_tmp() -> Iterator[Path]:
    """A short directory: a unix socket path must stay under ~100 bytes."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="gw-") as name:
        yield Path(name)


def _wait_ready(proc: subprocess.Popen[bytes], admin: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"the gateway exited with {proc.returncode}")
        try:
            if requests.get(admin + "/ready", timeout=1).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.1)
    raise AssertionError("the gateway did not become ready within 30 s")


def test_unix_socket_admin_server_and_signals(
    cfg_db: Database, role_conn: Conn, short_tmp: Path
) -> None:
    sock = short_tmp / "gw.sock"
    sock.write_text("stale")  # a regular file is never removed: start-up must refuse it
    admin_port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PGRST_")},
        **settings(
            cfg_db,
            PGRST_SERVER_UNIX_SOCKET=str(sock),
            PGRST_SERVER_UNIX_SOCKET_MODE="600",
            PGRST_ADMIN_SERVER_PORT=str(admin_port),
            PGRST_LOG_LEVEL="info",
        ),
        "PYTHONPATH": str(ROOT),
        "TAPROOT_LOG_FORMAT": "json",
    }
    refused = subprocess.run(
        [sys.executable, "-m", "gateway"],
        check=False,
        env=env,
        cwd=ROOT,
        capture_output=True,
        timeout=60,
    )
    assert refused.returncode == 2 and b"cannot listen on" in refused.stderr
    sock.unlink()

    log = (short_tmp / "gateway.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "gateway"], env=env, cwd=ROOT, stdout=log, stderr=log
    )
    try:
        admin = f"http://127.0.0.1:{admin_port}"
        _wait_ready(proc, admin)
        assert stat.S_ISSOCK(sock.stat().st_mode)
        assert stat.S_IMODE(sock.stat().st_mode) == 0o600
        with httpx.Client(
            transport=httpx.HTTPTransport(uds=str(sock)), base_url="http://gateway", timeout=10
        ) as client:

            def rows() -> int:
                return len(client.get("/rows?select=id").json())

            assert rows() == 5
            # SIGUSR2 re-reads the in-database configuration, as PostgREST
            set_role(role_conn, "pgrst.db_max_rows", "2")
            proc.send_signal(signal.SIGUSR2)
            assert eventually(rows, 2) == 2
        assert requests.get(admin + "/live", timeout=5).status_code == 200
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
        with pytest.raises(requests.ConnectionError):
            requests.get(admin + "/live", timeout=2)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
        log.close()

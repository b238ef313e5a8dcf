"""`taproot up` end to end: real processes, real ports, Ctrl-C leaves nothing behind."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from taproot import ROOT
from taproot.cluster import free_port, port_is_free

pytestmark = pytest.mark.slow


@pytest.fixture
def stack_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    tmp_path.chmod(0o755)
    env = {
        **os.environ,
        "TAPROOT_HOME": str(tmp_path / "home"),
        "TAPROOT_PG_PORT": str(free_port()),
        "API_PORT": str(free_port()),
        "SIDECAR_PORT": str(free_port()),
        "TAPROOT_GATEWAY_WORKERS": "1",
        "TAPROOT_SIDECAR_WORKERS": "1",
        "TAPROOT_SIDECAR_THREADS": "8",
    }
    env.pop("DATABASE_URL", None)
    yield env
    # Whatever a failing test left, the cluster must not outlive it; reset also removes its
    # data folder, which under a private home lives in ~postgres, outside tmp_path.
    subprocess.run(
        [sys.executable, "-m", "taproot", "db", "reset"], env=env, capture_output=True, check=False
    )


def _start(env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "taproot", "up"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _wait_healthy(env: dict[str, str], proc: subprocess.Popen[str], timeout: float) -> float:
    started = time.monotonic()
    url = f"http://127.0.0.1:{env['API_PORT']}/api/health"
    while time.monotonic() - started < timeout:
        assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
        try:
            if requests.get(url, timeout=1).status_code == 200:
                return time.monotonic() - started
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{url} not healthy within {timeout}s")


def _wait_ready(env: dict[str, str], timeout: float = 30.0) -> dict[str, object]:
    """/api/ready's body once it says ready (the worker's first heartbeat may lag `up`)."""
    url = f"http://127.0.0.1:{env['API_PORT']}/api/ready"
    deadline = time.monotonic() + timeout
    while True:
        answer = requests.get(url, timeout=5)
        body: dict[str, object] = answer.json()
        if answer.status_code == 200 or time.monotonic() > deadline:
            return body
        time.sleep(0.2)


def _interrupt(proc: subprocess.Popen[str]) -> str:
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, out
    return out


def test_up_serves_health_and_ctrl_c_stops_everything(stack_env: dict[str, str]) -> None:
    proc = _start(stack_env)
    try:
        _wait_healthy(stack_env, proc, timeout=120)
        response = requests.get(f"http://127.0.0.1:{stack_env['API_PORT']}/api/health", timeout=5)
        assert response.status_code == 200
        assert response.json()["status"] == "ok"
        body = _wait_ready(stack_env)
        assert (body["status"], body["database"]) == ("ready", "ok"), body

        second = subprocess.run(
            [sys.executable, "-m", "taproot", "up"],
            env=stack_env,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        assert second.returncode == 1
        assert "already running" in second.stderr

        _check_async_half(stack_env, proc)
    finally:
        out = _interrupt(proc)
    assert "stopping" in out
    assert port_is_free(int(stack_env["API_PORT"]))
    assert port_is_free(int(stack_env["SIDECAR_PORT"]))
    assert port_is_free(int(stack_env["TAPROOT_PG_PORT"]))
    pid_file = Path(stack_env["TAPROOT_HOME"]) / "pg" / "postmaster.pid"
    assert not pid_file.exists()

    # The second start finds everything in place and is quick.
    again = _start(stack_env)
    try:
        assert _wait_healthy(stack_env, again, timeout=30) < 10
    finally:
        _interrupt(again)


DEMO_PROMPT = "5a000000-0000-4000-8000-000000000001"


def _check_async_half(env: dict[str, str], proc: subprocess.Popen[str]) -> None:
    """With no AI configuration: jobs run on the worker, the AI routes answer on the fake
    provider through the gateway's origin, and a killed worker is replaced."""
    api = f"http://127.0.0.1:{env['API_PORT']}/api"
    login = requests.post(
        f"{api}/rpc/login",
        json={"email": "alice@demo.taproot.dev", "password": "alice-demo-password"},
        timeout=10,
    )
    auth = {"Authorization": f"Bearer {login.json()['access_token']}"}
    workspace = requests.get(f"{api}/workspaces?select=id&limit=1", headers=auth, timeout=10)
    ai = {**auth, "X-Taproot-Workspace": workspace.json()[0]["id"]}
    chat = requests.post(
        f"{api}/ai/v1/chat/completions",
        json={"model": "demo-model", "messages": [{"role": "user", "content": "hello"}]},
        headers=ai,
        timeout=10,
    )
    assert chat.status_code == 200, chat.text
    assert chat.json()["choices"][0]["message"]["content"].startswith("[fake]")

    def run_prompt() -> str:
        queued = requests.post(
            f"{api}/rpc/run_prompt",
            json={"prompt_id": DEMO_PROMPT, "inputs": {"text": "up test", "words": 3}},
            headers=auth,
            timeout=10,
        )
        assert queued.status_code == 200, queued.text
        request_id = queued.json()["id"]
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            rows = requests.get(
                f"{api}/ai_requests?id=eq.{request_id}&select=status", headers=auth, timeout=10
            ).json()
            if rows[0]["status"] not in ("queued", "running"):
                return str(rows[0]["status"])
            time.sleep(0.1)
        raise AssertionError(f"request {request_id} still pending after 30 s")

    assert run_prompt() == "succeeded"
    workers = _children(proc.pid, "workers --name")
    assert len(workers) == 1
    os.kill(workers[0], signal.SIGKILL)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        again = _children(proc.pid, "workers --name")
        if again and again != workers:
            break
        time.sleep(0.2)
    else:
        raise AssertionError("the killed worker was not restarted")
    assert run_prompt() == "succeeded"


def _children(parent: int, pattern: str) -> list[int]:
    found = subprocess.run(
        ["pgrep", "-P", str(parent), "-f", pattern], capture_output=True, text=True, check=False
    )
    return [int(pid) for pid in found.stdout.split()]


def test_port_taken_is_one_line_and_leaves_nothing(stack_env: dict[str, str]) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as blocker:
        blocker.bind(("127.0.0.1", int(stack_env["API_PORT"])))
        blocker.listen()
        result = subprocess.run(
            [sys.executable, "-m", "taproot", "up"],
            env=stack_env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode == 1
    assert f"port {stack_env['API_PORT']} is already in use; set API_PORT" in result.stderr
    assert port_is_free(int(stack_env["TAPROOT_PG_PORT"]))

"""A whole stack as `taproot up` runs it (temp TAPROOT_HOME, free ports), and an SSE reader.

`UpStack` is `python -m taproot up` on an embedded cluster of its own: gateway, sidecar
and one worker on free ports, the demo seed loaded. It is stopped with Ctrl-C (SIGINT)
and its cluster removed (`taproot db reset`) whatever the test did. `Subscriber` reads
GET /api/realtime in a thread and, like EventSource, reconnects with the last id it saw.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from taproot import ROOT
from taproot.cluster import free_port

DEMO_WORKSPACE = "11111111-1111-4111-8111-111111111111"
ALICE = {"email": "alice@demo.taproot.dev", "password": "alice-demo-password"}


@dataclass
class UpStack:
    env: dict[str, str]
    proc: subprocess.Popen[bytes]
    log: Path

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.env['API_PORT']}/api"

    @property
    def home(self) -> Path:
        return Path(self.env["TAPROOT_HOME"])

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def taproot(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        """`python -m taproot ARGS` with the stack's environment."""
        return subprocess.run(
            [sys.executable, "-m", "taproot", *args],
            env=self.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def token(self) -> str:
        response = httpx.post(f"{self.api}/rpc/login", json=ALICE, timeout=10)
        assert response.status_code == 200, response.text
        return str(response.json()["access_token"])


def _wait_up(stack: UpStack, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    sidecar = f"http://127.0.0.1:{stack.env['SIDECAR_PORT']}/api/ai/health"
    while time.monotonic() < deadline:
        assert stack.proc.poll() is None, stack.output()
        try:
            if (
                httpx.get(f"{stack.api}/health", timeout=1).status_code == 200
                and httpx.get(sidecar, timeout=1).status_code == 200
            ):
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"taproot up not healthy within {timeout} s:\n{stack.output()}")


@contextlib.contextmanager
def start_up(
    tmp: Path, extra: Mapping[str, str] | None = None, unset: tuple[str, ...] = ()
) -> Iterator[UpStack]:
    """`taproot up` in `tmp` (`extra` added to, `unset` removed from, its environment);
    yields once the gateway and the sidecar answer 200."""
    tmp.chmod(0o755)
    env = {
        **os.environ,
        "TAPROOT_HOME": str(tmp / "home"),
        "TAPROOT_PG_PORT": str(free_port()),
        "API_PORT": str(free_port()),
        "SIDECAR_PORT": str(free_port()),
        "TAPROOT_GATEWAY_WORKERS": "1",
        "TAPROOT_SIDECAR_WORKERS": "1",
        "TAPROOT_SIDECAR_THREADS": "32",
        "TAPROOT_WORKER_PROCESSES": "1",
        "PYTHONUNBUFFERED": "1",
        # keep-alive comments every second: a closing subscriber notices within one
        "PGRST_REALTIME_HEARTBEAT_SECONDS": "1",
        "PGRST_REALTIME_RETRY_MS": "200",
        **(extra or {}),
    }
    for name in ("DATABASE_URL", *unset):
        env.pop(name, None)
    log = tmp / "up.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "taproot", "up"],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    stack = UpStack(env, proc, log)
    try:
        _wait_up(stack, timeout=120)
        yield stack
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        # the cluster must not outlive the test; reset also removes its data folder
        stack.taproot("db", "reset")


@pytest.fixture(scope="module")
def up_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UpStack]:
    with start_up(tmp_path_factory.mktemp("up")) as stack:
        yield stack


@dataclass
class Event:
    id: int | None
    event: str
    data: str
    received: float


@dataclass
class Subscriber:
    """GET <url>?topics=… read in a thread; reconnects with last_event_id, as EventSource."""

    url: str
    params: dict[str, str]
    headers: dict[str, str] = field(default_factory=dict)
    client_factory: Callable[[], httpx.Client] = lambda: httpx.Client(
        timeout=httpx.Timeout(5, read=30)
    )
    reconnect: bool = True
    events: list[Event] = field(default_factory=list)
    comments: list[tuple[float, str]] = field(default_factory=list)
    connects: int = 0
    statuses: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    http_version: str | None = None

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._last_id: int | None = None
        self._thread = threading.Thread(target=self._run, daemon=True, name="sse")
        self._thread.start()

    def _run(self) -> None:
        with self.client_factory() as client:
            while not self._stop.is_set():
                try:
                    self._read(client)
                except Exception as exc:  # a dropped stream, as a browser sees it: reconnect
                    self.errors.append(f"{type(exc).__name__}: {exc}")
                if not self.reconnect:
                    return
                self._stop.wait(0.2)

    def _read(self, client: httpx.Client) -> None:
        params = dict(self.params)
        if self._last_id is not None:
            params["last_event_id"] = str(self._last_id)
        with client.stream("GET", self.url, params=params, headers=self.headers) as response:
            self.connects += 1
            self.statuses.append(response.status_code)
            self.http_version = response.http_version
            if response.status_code != 200:
                response.read()
                return
            fields: dict[str, str] = {}
            for line in response.iter_lines():
                if self._stop.is_set():
                    return
                now = time.monotonic()
                if line == "":
                    if "data" in fields or "event" in fields:
                        raw = fields.get("id")
                        event = Event(
                            int(raw) if raw else None,
                            fields.get("event", "message"),
                            fields.get("data", ""),
                            now,
                        )
                        self.events.append(event)
                        if event.id is not None:
                            self._last_id = event.id
                    fields = {}
                elif line.startswith(":"):
                    self.comments.append((now, line[1:].strip()))
                else:
                    name, _, value = line.partition(":")
                    fields[name] = value.removeprefix(" ")

    def wait(self, predicate: Callable[[list[Event]], Any], timeout: float) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = predicate(list(self.events))
            if found:
                return found
            time.sleep(0.02)
        raise AssertionError(
            f"not within {timeout} s; events {[(e.id, e.event) for e in self.events]},"
            f" statuses {self.statuses}, errors {self.errors[-3:]}"
        )

    def wait_connected(self, timeout: float = 10) -> None:
        """Until the stream's `: connected` comment: events committed later reach it."""
        deadline = time.monotonic() + timeout
        while not any(text == "connected" for _, text in self.comments):
            assert time.monotonic() < deadline, (self.statuses, self.errors)
            time.sleep(0.02)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=35)

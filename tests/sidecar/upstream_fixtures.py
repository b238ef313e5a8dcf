"""A loopback upstream for sidecar processes, and sidecars pointed at it by environment only.

`serve_loopback()` serves tests/ai's scripted OpenAI/Anthropic server (the request's
`model` picks the script) on a free loopback port, in a thread of the test process, and
adds outages a test switches on and off (`fail`, `heal`) to play a recovering upstream.
`upstream_sidecar()` starts a real sidecar whose OPENAI_* and ANTHROPIC_* variables point
at it and that has no TAPROOT_AI_DEFAULT_PROVIDER, as an operator would configure one.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import uvicorn

from taproot.database import Database
from tests.ai.upstream import Message, Receive, Recorded, Send, read_body, respond, route
from tests.sidecar.conftest import Sidecar, sql, start_sidecar, stop_process

# A stream's usage row is written after its last event reaches the client (the wire
# layers settle the ledger in their `finally`), so a client can read the ledger before it.
SETTLE_SECONDS = 5.0
OPENAI_KEY = "sk-test"
ANTHROPIC_KEY = "sk-ant-test"
CHAT_PATH = "/openai/v1/chat/completions"


@dataclass
class Outage:
    """Answer `status` to paths ending with `path`, `times` times (None: until healed)."""

    path: str
    status: int
    headers: dict[str, str]
    body: Any
    times: int | None


class Loopback:
    """The scripted upstream's address, what it received, and its switchable outages."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._lock = threading.Lock()
        self._requests: list[Recorded] = []
        self._outages: list[Outage] = []

    @property
    def openai_url(self) -> str:
        return f"{self.url}/openai/v1"

    @property
    def anthropic_url(self) -> str:
        return f"{self.url}/anthropic"

    def fail(
        self,
        status: int,
        *,
        times: int | None = None,
        path: str = "/chat/completions",
        headers: dict[str, str] | None = None,
        body: Any = None,
    ) -> None:
        """From now on answer `status` (OpenAI's error shape unless `body`) `times` times."""
        payload = body if body is not None else {"error": {"message": f"loopback {status}"}}
        with self._lock:
            self._outages.append(Outage(path, status, dict(headers or {}), payload, times))

    def heal(self) -> None:
        with self._lock:
            self._outages.clear()

    def received(self, path: str = CHAT_PATH) -> list[Recorded]:
        """The requests received so far for `path`, oldest first."""
        with self._lock:
            return [r for r in self._requests if r.path == path]

    def count(self, path: str = CHAT_PATH) -> int:
        return len(self.received(path))

    def _record(self, request: Recorded) -> Outage | None:
        with self._lock:
            self._requests.append(request)
            for outage in self._outages:
                if request.path.endswith(outage.path) and outage.times != 0:
                    if outage.times is not None:
                        outage.times -= 1
                    return outage
        return None

    def app(self) -> Callable[[Message, Receive, Send], Awaitable[None]]:
        async def app(scope: Message, receive: Receive, send: Send) -> None:
            body = await read_body(receive)
            headers = {k.decode(): v.decode() for k, v in scope["headers"]}
            outage = self._record(Recorded(scope["method"], scope["path"], headers, body))
            if outage is not None:
                await respond(send, outage.status, outage.body, outage.headers)
                return
            await route(send, scope["path"], scope["query_string"].decode(), body or {})

        return app


@contextmanager
def serve_loopback() -> Iterator[Loopback]:
    """The loopback upstream, served by uvicorn on a port the OS picks; stopped on exit."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    host, port = sock.getsockname()
    loopback = Loopback(f"http://{host}:{port}")
    config = uvicorn.Config(
        loopback.app(),
        lifespan="off",
        log_level="warning",
        access_log=False,
        ws="none",
        http="h11",
        timeout_graceful_shutdown=3,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "loopback did not start"
            time.sleep(0.01)
        yield loopback
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


@contextmanager
def upstream_sidecar(db: Database, loopback: Loopback, **extra: str) -> Iterator[Sidecar]:
    """A sidecar process configured for `loopback` by its variables alone; stopped on exit."""
    proc, url, secret = start_sidecar(
        db,
        unset=("TAPROOT_AI_DEFAULT_PROVIDER",),
        OPENAI_BASE_URL=loopback.openai_url,
        OPENAI_API_KEY=OPENAI_KEY,
        ANTHROPIC_BASE_URL=loopback.anthropic_url,
        ANTHROPIC_API_KEY=ANTHROPIC_KEY,
        **extra,
    )
    try:
        yield Sidecar(url, db, secret)
    finally:
        stop_process(proc)


def settled_rows(sidecar: Sidecar, statement: str, *args: Any) -> list[tuple[Any, ...]]:
    """`statement`'s rows once there are any (a streamed call's usage row lands just after)."""
    deadline = time.monotonic() + SETTLE_SECONDS
    while not (rows := sql(sidecar, statement, *args)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return rows

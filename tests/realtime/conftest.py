"""A live gateway with /realtime on a fresh Taproot database, and an SSE reader.

`realtime` starts uvicorn in a thread (its own event loop, a free port) configured as
`taproot up` configures the gateway (taproot.up.REALTIME_ENV included) with a 1 s
heartbeat. `SSE` reads one stream in a background thread with httpx and parses frames.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import jwt as pyjwt
import pytest

from taproot.cluster import free_port
from taproot.database import Database
from taproot.up import REALTIME_ENV
from tests.conftest import AUTHENTICATOR_PASSWORD
from tests.stack import Tenant, login_url, make_tenant, wait_for


class ServerThread:
    """uvicorn serving the gateway on 127.0.0.1 from a thread with its own loop."""

    def __init__(self, settings: dict[str, str], port: int | None = None) -> None:
        import uvicorn

        from gateway.app import create_app
        from gateway.config import load

        self.app = create_app(load(settings))
        self.port = port or free_port()
        config = uvicorn.Config(
            self.app, host="127.0.0.1", port=self.port, lifespan="on", log_level="warning"
        )
        self.server = uvicorn.Server(config)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._run, name="rt-gateway", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_until_complete(self.server.serve())
        finally:
            self.loop.close()

    def start(self) -> ServerThread:
        self.thread.start()
        wait_for(lambda: self.server.started, timeout=30, what="gateway start")
        rt = self.app.realtime
        assert rt is not None
        wait_for(lambda: rt.feed.connected, timeout=10, what="realtime feed")
        return self

    def stop(self) -> None:
        if self.thread.is_alive():
            rt = self.app.realtime
            if rt is not None and not self.loop.is_closed():
                self.loop.call_soon_threadsafe(rt.drain)
            self.server.should_exit = True
            self.thread.join(timeout=20)
        assert not self.thread.is_alive(), "the gateway did not stop"


@dataclass
class Stack:
    db: Database
    secret: str
    settings: dict[str, str]
    servers: list[ServerThread] = field(default_factory=list)

    def start(self, **overrides: str) -> ServerThread:
        server = ServerThread({**self.settings, **overrides}).start()
        self.servers.append(server)
        return server

    def token(self, user: uuid.UUID | str, ttl: float = 300) -> str:
        claims = {"role": "authenticated", "sub": str(user), "aud": "taproot"}
        claims["exp"] = int(time.time() + ttl)  # type: ignore[assignment]
        return pyjwt.encode(claims, self.secret, algorithm="HS256")

    def tenant(self, role: str = "member") -> Tenant:
        return make_tenant(self.db, role=role)

    def sql(self, query: str, *args: Any) -> list[tuple[Any, ...]]:
        with self.db.connect() as conn:
            cur = conn.execute(query, args)
            return list(cur.fetchall()) if cur.description else []


@pytest.fixture
def stack(app_db: Database) -> Iterator[Stack]:
    with app_db.connect() as conn:
        row = conn.execute("SELECT auth.jwt_secret()").fetchone()
    assert row is not None
    settings = {
        "PGRST_DB_URI": login_url(app_db, "authenticator", AUTHENTICATOR_PASSWORD),
        "PGRST_DB_SCHEMAS": "api",
        "PGRST_DB_ANON_ROLE": "anon",
        "PGRST_DB_EXTRA_SEARCH_PATH": "extensions",
        "PGRST_JWT_SECRET": str(row[0]),
        "PGRST_JWT_AUD": "taproot",
        "PGRST_SERVER_ROOT_PATH": "/api",
        "PGRST_REALTIME_HEARTBEAT_SECONDS": "1",
        "PGRST_REALTIME_RETRY_MS": "200",
        **REALTIME_ENV,
    }
    s = Stack(app_db, str(row[0]), settings)
    try:
        yield s
    finally:
        for server in s.servers:
            server.stop()


@dataclass
class Event:
    id: int | None
    event: str
    data: str

    @property
    def json(self) -> Any:
        return json.loads(self.data)


class SSE:
    """One GET /api/realtime stream read in a thread: frames, comments and its end."""

    def __init__(self, url: str, params: dict[str, str], headers: dict[str, str] | None = None):
        self.events: list[Event] = []
        self.comments: list[str] = []
        self.retry: int | None = None
        self.status: int | None = None
        self.headers: httpx.Headers | None = None
        self.ended = threading.Event()
        self.error: BaseException | None = None
        self._client = httpx.Client(timeout=httpx.Timeout(30, read=None))
        self._response: httpx.Response | None = None
        self._url, self._params, self._headers = url, params, headers or {}
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()
        wait_for(lambda: self.status is not None or self.ended.is_set(), timeout=15)

    def _read(self) -> None:
        try:
            with self._client.stream(
                "GET", self._url + "/api/realtime", params=self._params, headers=self._headers
            ) as response:
                self._response = response
                self.headers = response.headers
                self.status = response.status_code
                fields: dict[str, str] = {}
                for line in response.iter_lines():
                    if line == "":
                        if "data" in fields or "event" in fields:
                            raw_id = fields.get("id")
                            self.events.append(
                                Event(
                                    int(raw_id) if raw_id else None,
                                    fields.get("event", "message"),
                                    fields.get("data", ""),
                                )
                            )
                        fields = {}
                    elif line.startswith(":"):
                        self.comments.append(line[1:].strip())
                    else:
                        name, _, value = line.partition(":")
                        value = value.removeprefix(" ")
                        if name == "retry":
                            self.retry = int(value)
                        elif name == "data" and "data" in fields:
                            fields["data"] += "\n" + value
                        else:
                            fields[name] = value
        except (httpx.HTTPError, RuntimeError, ValueError) as exc:
            self.error = exc
        finally:
            self.ended.set()

    def body(self) -> str:
        assert self._response is not None
        return self._response.read().decode()

    def wait(self, predicate: Any, timeout: float = 10.0, what: str = "") -> list[Event]:
        wait_for(lambda: predicate(self.events), timeout=timeout, what=what or str(predicate))
        return list(self.events)

    def wait_event(self, name: str, timeout: float = 10.0) -> Event:
        self.wait(lambda evs: any(e.event == name for e in evs), timeout, name)
        return next(e for e in self.events if e.event == name)

    def wait_end(self, timeout: float = 10.0) -> None:
        assert self.ended.wait(timeout), "the stream did not end"

    @property
    def last_id(self) -> int | None:
        ids = [e.id for e in self.events if e.id is not None]
        return ids[-1] if ids else None

    def close(self) -> None:
        self._client.close()
        self._thread.join(timeout=10)


@pytest.fixture
def streams(stack: Stack) -> Iterator[list[SSE]]:
    """Streams opened by a test; the gateways stop first, which ends them."""
    opened: list[SSE] = []
    yield opened
    for server in stack.servers:
        server.stop()
    for s in opened:
        s.close()

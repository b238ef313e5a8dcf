"""The /realtime endpoint: authenticate, authorize the topics, resume, then stream.

Before the stream starts every failure is an ApiError in PostgREST's shape (401 bad
token, 403 a refused topic, 400 a bad request). Then: `retry:`, the events missed since
Last-Event-ID (from the feed, on the subscriber's channels only), and live frames from the
hub until the client leaves or a final event ends the stream (token expiry, access
removed, too slow, shutdown). One heartbeat loop serves every stream of the process.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import signal
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qs

import asyncpg

from gateway.auth import CLOCK_SKEW, Authenticator, AuthResult
from gateway.config import Config, RealtimeConfig
from gateway.errors import ApiError
from gateway.realtime import sse
from gateway.realtime.feed import BATCH, Feed, statements
from gateway.realtime.hub import Hub, Subscriber
from gateway.tx import Context, Database

log = logging.getLogger("gateway.realtime")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
Headers = list[tuple[bytes, bytes]]

MAX_TOPICS = 32
MAX_TOPIC_LENGTH = 200
SSE_HEADERS: Headers = [
    (b"content-type", b"text/event-stream; charset=utf-8"),
    (b"cache-control", b"no-cache, no-transform"),
    (b"x-accel-buffering", b"no"),
]


def _bad_request(message: str, details: str | None = None) -> ApiError:
    return ApiError(400, "PGRST100", message, details)


class Realtime:
    def __init__(self, config: Config, db: Database, auth: Authenticator) -> None:
        assert config.realtime is not None
        self.rt: RealtimeConfig = config.realtime
        self.schema = config.default_schema
        self.db = db
        self.auth = auth
        self.hub = Hub()
        self.feed = Feed(config, self.hub, self._recheck)
        self._sql = statements(self.rt)
        self._heartbeat: asyncio.Task[None] | None = None
        self._draining = False
        self._signals: dict[int, Any] = {}

    def matches(self, path: str) -> bool:
        return path == self.rt.path

    # --- lifecycle ----------------------------------------------------------------------
    async def start(self) -> None:
        await self.feed.start()
        self._heartbeat = asyncio.create_task(self._beat(), name="realtime-heartbeat")
        self._chain_signals(asyncio.get_running_loop())

    def drain(self) -> None:
        """End every stream with a final `reconnect` event; refuse new ones (shutdown)."""
        self._draining = True
        self.hub.close_all(sse.closed("shutdown", "reconnect"))

    async def close(self) -> None:
        self.drain()
        for sig, previous in self._signals.items():
            with contextlib.suppress(ValueError, TypeError, OSError):
                signal.signal(sig, previous)
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._heartbeat
        await self.feed.close()

    def _chain_signals(self, loop: asyncio.AbstractEventLoop) -> None:
        """uvicorn waits for open responses before it shuts down: on SIGTERM/SIGINT end
        the streams first, then let uvicorn's own handler run."""
        for sig in (signal.SIGTERM, signal.SIGINT):
            try:
                previous = signal.getsignal(sig)

                def handler(signum: int, frame: Any, previous: Any = previous) -> None:
                    loop.call_soon_threadsafe(self.drain)
                    if callable(previous):
                        previous(signum, frame)

                signal.signal(sig, handler)
                self._signals[sig] = previous
            except (ValueError, TypeError, OSError):
                return  # not the main thread (tests): drain() is called directly

    async def _beat(self) -> None:
        # Once a second, a 1/heartbeat_seconds share of the streams: each stream still gets
        # a keep-alive every heartbeat_seconds when idle, without one burst for all of them.
        tick = min(1.0, self.rt.heartbeat_seconds)
        while True:
            await asyncio.sleep(tick)
            self.hub.heartbeat(tick / self.rt.heartbeat_seconds)

    # --- the request --------------------------------------------------------------------
    async def handle(self, scope: Scope, receive: Receive, send: Send, cors: Headers) -> None:
        """Raises ApiError only before the response has started."""
        if scope["method"] not in ("GET", "HEAD"):
            raise ApiError(405, "PGRST117", f"Unsupported HTTP method: {scope['method']}")
        headers = _headers(scope)
        params = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        authorization = headers.get("authorization")
        if authorization is None and params.get("access_token"):
            authorization = "Bearer " + params["access_token"][-1]
        auth = self.auth.authenticate(authorization)
        topics = _topics(params)
        last_id = _last_event_id(headers.get("last-event-id") or _param(params, "last_event_id"))
        ctx = Context(
            role=auth.role,
            claims_json=auth.claims_json,
            method="GET",
            path=scope["path"],
            headers_json=json.dumps(
                {k: v for k, v in headers.items() if k != "cookie"}, ensure_ascii=False
            ),
            cookies_json="{}",
            authenticated=auth.authenticated,
            read_only=True,
        )
        channels = await self._authorize(ctx, topics)
        refused = [t for t, c in zip(topics, channels, strict=True) if c is None]
        if refused:
            raise ApiError(
                403,
                "42501",
                f"permission denied for realtime topic {refused[0]}",
                f"Refused topics: {', '.join(refused)}",
                "Subscribe to workspaces you belong to, their AI requests, or user:me.",
            )
        head = [*SSE_HEADERS, *cors]
        user = _user(auth)
        shed = self._shed(user)
        if shed is not None:
            await _respond(send, head, sse.retry(self.rt.retry_ms) + shed, scope)
            return
        sub = Subscriber(topics, sorted({c for c in channels if c}), ctx, user, self.rt.queue_size)
        await self._serve(sub, auth, last_id, scope, receive, send, head)

    def _shed(self, user: str) -> bytes | None:
        """200 with retry: and a final event; EventSource gives up for good on 503."""
        if self._draining:
            return sse.closed("shutdown", "reconnect")
        if self.feed.cursor is None or not self.feed.connected:
            return sse.closed("unavailable", "reconnect")
        if len(self.hub.subscribers) >= self.rt.max_streams:
            return sse.closed("overloaded", "reconnect")
        if self.hub.streams_of(user) >= self.rt.max_streams_per_user:
            return sse.closed("too_many_streams", "reconnect", limit=self.rt.max_streams_per_user)
        return None

    async def _authorize(self, ctx: Context, topics: list[str]) -> list[str | None]:
        sql = self._sql["authorize"]

        async def body(conn: asyncpg.Connection) -> list[str | None]:
            return list(await conn.fetchval(sql, topics) or [])

        channels = await self.db.transaction(ctx, self.schema, body)
        if len(channels) != len(topics):
            channels = [None] * len(topics)
        return channels

    async def _recheck(self, _event_id: int, channels: list[str]) -> None:
        """An event that may take access away: re-authorize whoever would receive it."""
        subs = [s for s in self.hub.audience(channels) if not s.closed]

        async def one(sub: Subscriber) -> None:
            try:
                allowed = await self._authorize(sub.ctx, sub.topics)
            except Exception as exc:  # fail closed: the client reconnects and re-subscribes
                log.warning("realtime: re-check failed: %s", exc)
                sub.close(sse.closed("recheck_failed", "reconnect", last_event_id=sub.last_id))
                self.hub.remove(sub)
                return
            if any(c is None for c in allowed):
                lost = [t for t, c in zip(sub.topics, allowed, strict=True) if c is None]
                sub.close(sse.closed("forbidden", "stop", topics=lost))
                self.hub.remove(sub)

        await asyncio.gather(*(one(s) for s in subs))

    # --- streaming ----------------------------------------------------------------------
    async def _serve(  # noqa: PLR0917 - the request's parts, passed through once
        self,
        sub: Subscriber,
        auth: AuthResult,
        last_id: int | None,
        scope: Scope,
        receive: Receive,
        send: Send,
        head: Headers,
    ) -> None:
        cursor = self.feed.cursor
        assert cursor is not None
        # registered before replaying: what arrives meanwhile waits in the buffer
        sub.skip_through = cursor if last_id is None else max(last_id, cursor)
        self.hub.add(sub)
        loop = asyncio.get_running_loop()
        if auth.expires is not None:
            delay = auth.expires - CLOCK_SKEW - time.time()
            sub.expiry = loop.call_later(
                max(delay, 0), sub.close, sse.closed("token_expired", "reauthenticate")
            )
        watcher = asyncio.ensure_future(_until_disconnect(receive, sub))
        try:
            await send({"type": "http.response.start", "status": 200, "headers": head})
            if scope["method"] == "HEAD":
                await send({"type": "http.response.body", "body": b""})
                return
            await _body(send, sse.retry(self.rt.retry_ms) + b": connected\n\n")
            if last_id is not None and last_id < cursor:
                await self._replay(sub, last_id, cursor, send)
            while True:
                await sub.wait()
                chunk = sub.take()
                final = sub.final
                if final is not None:
                    await send({"type": "http.response.body", "body": chunk + final})
                    return
                if chunk:
                    await _body(send, chunk)
        except Exception as exc:  # the response has started: log, never raise
            log.warning("realtime: stream ended: %s: %s", type(exc).__name__, exc)
            with contextlib.suppress(Exception):
                await send({"type": "http.response.body", "body": b""})
        finally:
            if sub.expiry is not None:
                sub.expiry.cancel()
            self.hub.remove(sub)
            watcher.cancel()

    async def _replay(self, sub: Subscriber, after: int, through: int, send: Send) -> None:
        """Every missed event on the subscriber's channels, in id order, page by page."""
        ctx = Context(
            role=self.rt.role or "none",
            claims_json="{}",
            method="GET",
            path=self.rt.path,
            headers_json="{}",
            cookies_json="{}",
            authenticated=False,
            read_only=True,
        )
        oldest_sql, replay_sql = self._sql["oldest"], self._sql["replay"]

        async def oldest(conn: asyncpg.Connection) -> int | None:
            value = await conn.fetchval(oldest_sql)
            return None if value is None else int(value)

        first = await self.db.transaction(ctx, self.schema, oldest)
        if first is not None and after < first - 1:
            # events were pruned: the client reloads its state, then resumes from `through`
            sub.buffer.clear()
            sub.close(sse.closed("retention", "refetch", through, oldest_id=first))
            return
        position = after
        while position < through and not sub.closed:

            async def page(conn: asyncpg.Connection, start: int = position) -> list[Any]:
                return list(await conn.fetch(replay_sql, start, through, sub.channels, BATCH))

            rows = await self.db.transaction(ctx, self.schema, page)
            if rows:
                await _body(send, b"".join(sse.frame(r["event"], r["data"], r["id"]) for r in rows))
                sub.last_id = rows[-1]["id"]
            if len(rows) < BATCH:
                break
            position = rows[-1]["id"]


async def _until_disconnect(receive: Receive, sub: Subscriber) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            sub.disconnected()
            return


async def _body(send: Send, chunk: bytes) -> None:
    await send({"type": "http.response.body", "body": chunk, "more_body": True})


async def _respond(send: Send, head: Headers, body: bytes, scope: Scope) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": head})
    await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})


def _headers(scope: Scope) -> dict[str, str]:
    out: dict[str, str] = {}
    for raw_name, raw_value in scope["headers"]:
        name, value = raw_name.decode("latin-1"), raw_value.decode("latin-1")
        out[name] = out[name] + ", " + value if name in out else value
    return out


def _param(params: dict[str, list[str]], name: str) -> str | None:
    values = params.get(name)
    return values[-1] if values else None


def _topics(params: dict[str, list[str]]) -> list[str]:
    seen: dict[str, None] = {}
    for value in params.get("topics", []):
        for part in value.split(","):
            topic = part.strip()
            if topic:
                seen[topic] = None
    topics = list(seen)
    if not topics:
        raise _bad_request("No topics to subscribe to", "Pass topics=<topic>[,<topic>…]")
    if len(topics) > MAX_TOPICS or any(len(t) > MAX_TOPIC_LENGTH for t in topics):
        raise _bad_request(
            "Too many or too long topics",
            f"At most {MAX_TOPICS} topics of {MAX_TOPIC_LENGTH} characters each",
        )
    return topics


def _last_event_id(value: str | None) -> int | None:
    if value is None or value.strip() == "":
        return None
    try:
        number = int(value.strip())
    except ValueError:
        raise _bad_request(
            "Invalid Last-Event-ID", f"Expected an event id, got {value!r}"
        ) from None
    if number < 0:
        raise _bad_request("Invalid Last-Event-ID", f"Expected an event id, got {value!r}")
    return number


def _user(auth: AuthResult) -> str:
    """The key of the per-user stream cap: the `sub` claim, else the role."""
    try:
        claims = json.loads(auth.claims_json)
    except ValueError:
        claims = {}
    sub = claims.get("sub") if isinstance(claims, dict) else None
    return f"sub:{sub}" if isinstance(sub, str) and sub else f"role:{auth.role}"

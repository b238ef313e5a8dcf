"""The gateway's front door: flood guard, concurrency cap, shared limits, deadline, headers.

Wraps the gateway's ASGI handler (`App._http`) for every route. In order:
1. flood guard: GCRA per client in this process's memory (no round trip);
2. a cap on the client's concurrent requests in this process;
3. the shared tier for RPCs of a route class (auth, invitations, expensive): one check per
   key on the PostgreSQL backend, the email of login-type bodies included; when the
   backend is unavailable auth routes answer 503 (fail closed), others go on (fail open);
4. the request deadline (until the response starts; streams and the proxy are untimed);
5. security headers (and the RateLimit fields of shared checks) on every response.
The client is the JWT's `sub` when the token verifies, else the client IP.
Answers are in PostgREST's shape (code PT429, as a RAISE SQLSTATE 'PT429' would give).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from gateway.errors import ApiError
from gateway.response import error_response
from ratelimit import fields
from ratelimit.backend import Backend, Decision, MemoryBackend, Unavailable
from ratelimit.keys import bounded, client_ip, digest
from ratelimit.limits import Limit
from ratelimit.postgres import PostgresBackend
from ratelimit.settings import GatewayLimits, RouteClass

log = logging.getLogger("ratelimit")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
Handler = Callable[[Scope, Receive, Send], Awaitable[None]]

SECURITY_HEADERS: list[tuple[bytes, bytes]] = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'"),
]
EXPOSED = (b"access-control-expose-headers", b"Retry-After, RateLimit, RateLimit-Policy")
WHO_CACHE = 4096
_BODY_METHODS = frozenset({"POST", "PATCH", "PUT"})


def too_many(message: str, details: str | None, headers: fields.Headers) -> ApiError:
    return ApiError(429, "PT429", message, details, headers=headers)


class FrontDoor:
    def __init__(
        self,
        limits: GatewayLimits,
        *,
        db_uri: str,
        root: str,
        authenticate: Callable[[str | None], Any],
        anon_role: str | None,
        max_body: int,
        untimed: Callable[[str], bool] | None = None,
        backend: Backend | None = None,
    ) -> None:
        self.limits = limits
        self.flood = MemoryBackend()
        self._authenticate = authenticate
        self._anon = anon_role
        self._max_body = max_body
        self._untimed = untimed
        self._rpc_prefix = root + "/rpc/"
        self._rpcs = limits.rpcs if limits.shared else {}
        self._active: dict[str, int] = {}
        self._who: dict[bytes, tuple[str | None, str | None]] = {}
        self._security = list(SECURITY_HEADERS) if limits.security_headers else []
        if backend is not None:
            self.backend: Backend | None = backend
        elif not self._rpcs:
            self.backend = None
        elif limits.backend == "memory" or limits.function is None:
            self.backend = MemoryBackend()
        else:
            self.backend = PostgresBackend(
                limits.db_uri or db_uri,
                limits.function,
                pool_size=limits.db_pool,
                timeout=limits.timeout,
            )
        self.counts = {"flood": 0, "concurrency": 0, "shared": 0, "closed": 0, "open": 0}

    async def close(self) -> None:
        if self.backend is not None:
            await self.backend.close()

    def metrics(self) -> bytes:
        lines = ["# TYPE taproot_ratelimit_total counter"]
        for outcome, count in self.counts.items():
            lines.append(f'taproot_ratelimit_total{{outcome="{outcome}"}} {count}')
        return ("\n".join(lines) + "\n").encode()

    # --- who is asking ---------------------------------------------------------------
    def _identify(self, authorization: bytes | None) -> tuple[str | None, str | None]:
        """(role, sub) of a verified token; (anon role, None) without one or for a bad one."""
        if authorization is None:
            return self._anon, None
        found = self._who.get(authorization)
        if found is not None:
            return found
        try:
            result = self._authenticate(authorization.decode("latin-1"))
            sub = json.loads(result.claims_json).get("sub") if result.authenticated else None
            found = (result.role, sub if isinstance(sub, str) and sub else None)
        except Exception:  # the pipeline answers the bad token; here it counts as its IP
            found = (self._anon, None)
        if len(self._who) >= WHO_CACHE:
            self._who.clear()
        self._who[authorization] = found
        return found

    # --- the wrapper -----------------------------------------------------------------
    def _client(self, scope: Scope) -> tuple[str, str | None, bool]:
        """(client key, role, whether the request is cross-origin) from the scope."""
        authorization: bytes | None = None
        forwarded: list[str] = []
        origin = False
        for name, value in scope["headers"]:
            if name == b"authorization":
                authorization = value
            elif name == b"x-forwarded-for":
                forwarded.append(value.decode("latin-1"))
            elif name == b"origin":
                origin = True
        role, sub = self._identify(authorization)
        if sub is not None:
            return "sub:" + sub, role, origin
        peer = scope.get("client")
        ip = client_ip(peer[0] if peer else None, forwarded, self.limits.trusted_hops)
        return "ip:" + ip, role, origin

    def _admit(self, client: str, role: str | None) -> ApiError | None:
        """The flood guard and the concurrency cap, in this process's memory."""
        flood = self.limits.flood.for_role(role) if self.limits.enabled else None
        if flood is not None:
            d = self.flood.take(bounded(client), flood.rate, flood.quota, 1.0, time.monotonic())
            if not d.allowed:
                self.counts["flood"] += 1
                return too_many(
                    "Too many requests",
                    f"{flood.quota} requests per {flood.window:g} s from one client",
                    [(b"retry-after", fields.retry_after(d.retry_after))],
                )
        cap = self.limits.max_concurrent
        if cap and self._active.get(client, 0) >= cap:
            self.counts["concurrency"] += 1
            return too_many(
                "Too many concurrent requests",
                f"at most {cap} requests at a time from one client",
                [(b"retry-after", b"1")],
            )
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send, inner: Handler) -> None:
        client, role, origin = self._client(scope)
        extra = self._security
        refused = self._admit(client, role)
        if refused is not None:
            await self._answer(send, scope, refused, extra)
            return
        active = self._active
        active[client] = active.get(client, 0) + 1
        try:
            path: str = scope["path"]
            route = (
                self._rpcs.get(path[len(self._rpc_prefix) :])
                if self._rpcs and path.startswith(self._rpc_prefix)
                else None
            )
            if route is not None and scope["method"] != "OPTIONS":
                try:
                    outcome = await self._shared(route, scope, receive, role, client)
                except ApiError as err:  # a body too large or too slow to look for the email in
                    outcome = err
                if isinstance(outcome, ApiError):
                    await self._answer(send, scope, outcome, extra)
                    return
                receive, added = outcome
                # PostgREST's exposed list is left alone, except where the fields are sent
                extra = [*extra, *added, EXPOSED] if origin else [*extra, *added]
            await self._timed(scope, receive, send, inner, extra)
        finally:
            left = active[client] - 1
            if left:
                active[client] = left
            else:
                del active[client]

    async def _timed(
        self, scope: Scope, receive: Receive, send: Send, inner: Handler, extra: fields.Headers
    ) -> None:
        deadline = self.limits.deadline
        if not deadline or (self._untimed is not None and self._untimed(scope["path"])):
            await inner(scope, receive, _adding(send, extra, None))
            return
        received = [scope["method"] not in _BODY_METHODS]
        if not received[0]:
            receive = _watching(receive, received)
        started = [False]
        try:
            async with asyncio.timeout(deadline) as timer:
                await inner(scope, receive, _adding(send, extra, (timer, started)))
        except TimeoutError:
            if started[0]:
                return
            if received[0]:
                err = ApiError(
                    504, "PGRST003", "The request took too long", f"deadline {deadline:g} s"
                )
            else:
                err = ApiError(
                    408, "PGRST102", "Request Timeout", "the request body arrived too slowly"
                )
            await self._answer(send, scope, err, extra)

    async def _shared(
        self, route: RouteClass, scope: Scope, receive: Receive, role: str | None, client: str
    ) -> ApiError | tuple[Receive, fields.Headers]:
        backend = self.backend
        assert backend is not None
        checks: list[tuple[Limit, str]] = []
        limit = route.client.for_role(role)
        if limit is not None:
            checks.append((limit, bounded(f"{route.name}:{client}")))
        if route.email is not None and scope["method"] in _BODY_METHODS:
            body, receive = await _buffer(receive, self._max_body, self.limits.deadline)
            email = _email(body)
            email_limit = route.email.for_role(role)
            if email is not None and email_limit is not None:
                checks.append((email_limit, f"{route.name}-email:{digest(email)}"))
        done: list[tuple[Limit, Decision]] = []
        for limit, key in checks:
            try:
                d = await backend.check(key, limit.rate, limit.quota, 1.0)
            except Unavailable:
                if route.fail_closed:
                    self.counts["closed"] += 1
                    return ApiError(
                        503,
                        "PGRST000",
                        "Database connection error. Retrying the connection.",
                        "the rate limiter's database is unavailable",
                        headers=[(b"retry-after", fields.retry_after(1))],
                    )
                self.counts["open"] += 1
                continue
            done.append((limit, d))
            if not d.allowed:
                self.counts["shared"] += 1
                return too_many(
                    "Too many requests",
                    f"{limit.quota} requests per {limit.window:g} s ({limit.name})",
                    fields.headers(done),
                )
        return receive, fields.headers(done)

    async def _answer(self, send: Send, scope: Scope, err: ApiError, extra: fields.Headers) -> None:
        resp = error_response(err)
        body = b"" if scope.get("method") == "HEAD" else resp.body
        headers = [*resp.headers, *extra, (b"content-length", str(len(body)).encode())]
        if any(h[0] == b"origin" for h in scope["headers"]):
            headers += [(b"access-control-allow-origin", b"*"), EXPOSED]
        await send({"type": "http.response.start", "status": resp.status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def _adding(send: Send, extra: fields.Headers, timer: tuple[Any, list[bool]] | None) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            if timer is not None:
                timer[0].reschedule(None)  # the response started: streams run untimed
                timer[1][0] = True
            if extra:
                message["headers"] = [*message.get("headers", ()), *extra]
        await send(message)

    return wrapped


def _watching(receive: Receive, received: list[bool]) -> Receive:
    async def wrapped() -> Message:
        message = await receive()
        if message["type"] != "http.request" or not message.get("more_body", False):
            received[0] = True
        return message

    return wrapped


async def _buffer(receive: Receive, limit: int, deadline: float) -> tuple[bytes, Receive]:
    """The whole body (up to `limit`; larger → 413; slower than `deadline` → 408), and a
    `receive` that replays it."""
    try:
        async with asyncio.timeout(deadline or None):
            chunks = await _chunks(receive, limit)
    except TimeoutError:
        raise ApiError(
            408, "PGRST102", "Request Timeout", "the request body arrived too slowly"
        ) from None
    body = b"".join(chunks)
    replayed = [False]

    async def replay() -> Message:
        if not replayed[0]:
            replayed[0] = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return body, replay


async def _chunks(receive: Receive, limit: int) -> list[bytes]:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise ApiError(
                413,
                "PGRST102",
                "Payload Too Large",
                f"The request body is limited to {limit} bytes",
            )
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return chunks


def _email(body: bytes) -> str | None:
    if not body or len(body) > 65536:
        return None
    try:
        doc = json.loads(body)
    except ValueError:
        return None
    email = doc.get("email") if isinstance(doc, dict) else None
    return email.strip().lower() if isinstance(email, str) and email.strip() else None

"""Pass-through of a path prefix to another HTTP service (option taproot-proxy).

`taproot-proxy = "/api/ai=http://127.0.0.1:3001"`: requests under the prefix go to the
upstream with their full path and query, bodies streamed both ways without buffering
(server-sent events arrive as the upstream sends them). Hop-by-hop headers are dropped,
X-Forwarded-For/-Proto/-Host added. One aiohttp ClientSession per process: its C parser
and lean connection pool cost about a third of the CPU httpx spent per proxied call
(bench/reports/ai.md), and the bytes pass as they are (no decompression, no cookie jar,
no headers of its own beyond Host and the body's framing). An upstream that cannot be
reached answers 502 in PostgREST's error shape.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from typing import Any

import aiohttp

log = logging.getLogger("gateway.proxy")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

# RFC 9110 §7.6.1 connection-specific headers, plus the ones the server recomputes.
HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
        b"host",
        b"content-length",
        # uvicorn sends its own: passing the upstream's too would repeat them.
        b"date",
        b"server",
    }
)
BUFFERED_BODY_BYTES = 1024 * 1024
# Streams may pause for a long time between events; only connecting is bounded tightly.
TIMEOUT = aiohttp.ClientTimeout(total=None, connect=10.0, sock_connect=5.0, sock_read=None)
# the client's own headers go through unchanged: aiohttp adds none of its defaults
_NO_AUTO_HEADERS = ("User-Agent", "Accept", "Accept-Encoding")
_UPSTREAM_ERRORS = (aiohttp.ClientError, asyncio.TimeoutError, OSError)


class Proxy:
    def __init__(self, prefix: str, upstream: str) -> None:
        self.prefix = prefix
        self.upstream = upstream.rstrip("/")
        self._session: aiohttp.ClientSession | None = None

    def matches(self, path: str) -> bool:
        return path == self.prefix or path.startswith(self.prefix + "/")

    def _http(self) -> aiohttp.ClientSession:
        # made on first use, inside the worker's running loop (a session belongs to one)
        if self._session is None:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=1000, keepalive_timeout=60),
                timeout=TIMEOUT,
                auto_decompress=False,
                cookie_jar=aiohttp.DummyCookieJar(),
                skip_auto_headers=_NO_AUTO_HEADERS,
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        url = self.upstream + scope["path"]
        if scope.get("query_string"):
            url += "?" + scope["query_string"].decode("latin-1")
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in _forwarded(scope)]
        # A request without Content-Length or Transfer-Encoding has no body (RFC 9112 §6.3)
        # and none is sent; a body of known, small size goes whole with its Content-Length
        # (cheaper for the upstream to parse than chunks); anything else streams through.
        length = _content_length(scope)
        content: bytes | AsyncIterator[bytes] | None
        if length is None and not _chunked(scope):
            content = None
        elif length is not None and length <= BUFFERED_BODY_BYTES:
            content = await _read(receive)
        else:
            content = _body(receive)
        try:
            response = await self._http().request(
                scope["method"],
                url,
                headers=headers,
                data=content,
                allow_redirects=False,
                compress=None,
            )
        except _UPSTREAM_ERRORS as exc:
            log.warning("proxy upstream %s unreachable: %r", self.upstream, exc)
            await _bad_gateway(send, str(exc) or type(exc).__name__)
            return
        # A client that goes away mid-answer closes the upstream response too, so the
        # upstream sees the disconnect (the sidecar then bills a stream's partial output)
        # instead of producing the rest for nobody. Watched only once the request body is
        # all read: until then receive() belongs to the body's reader.
        body_read = content is None or isinstance(content, bytes)
        gone = asyncio.ensure_future(_disconnected(receive)) if body_read else None
        if gone is not None:
            # a cancelled watcher (the answer is all in) must not close it: the upstream
            # connection goes back to the pool
            gone.add_done_callback(lambda task: None if task.cancelled() else response.close())
        try:
            raw = [(k.lower(), v) for k, v in response.raw_headers if k.lower() not in HOP_BY_HOP]
            await send({"type": "http.response.start", "status": response.status, "headers": raw})
            async for chunk in response.content.iter_any():
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            # before the last send: once the response is complete, uvicorn's receive()
            # answers http.disconnect too
            if gone is not None:
                gone.cancel()
            await send({"type": "http.response.body", "body": b""})
        except _UPSTREAM_ERRORS as exc:
            # headers are out: all that is left is to end the body early
            if gone is None or not gone.done():
                log.warning("proxy stream from %s cut: %r", self.upstream, exc)
            await send({"type": "http.response.body", "body": b""})
        finally:
            if gone is not None:
                gone.cancel()
            response.release()


def _content_length(scope: Scope) -> int | None:
    for key, value in scope["headers"]:
        if key == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _chunked(scope: Scope) -> bool:
    return any(key == b"transfer-encoding" for key, _ in scope["headers"])


async def _disconnected(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


async def _read(receive: Receive) -> bytes:
    return b"".join([chunk async for chunk in _body(receive)])


async def _body(receive: Receive) -> AsyncIterator[bytes]:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
        chunk = message.get("body", b"")
        if chunk:
            yield chunk
        if not message.get("more_body", False):
            return


def _forwarded(scope: Scope) -> list[tuple[bytes, bytes]]:
    headers = [(k, v) for k, v in scope["headers"] if k not in HOP_BY_HOP]
    client = scope.get("client")
    if client:
        prior = [v for k, v in headers if k == b"x-forwarded-for"]
        chain = b", ".join([*prior, client[0].encode()])
        headers = [(k, v) for k, v in headers if k != b"x-forwarded-for"]
        headers.append((b"x-forwarded-for", chain))
    headers.append((b"x-forwarded-proto", scope.get("scheme", "http").encode()))
    for key, value in scope["headers"]:
        if key == b"host":
            headers.append((b"x-forwarded-host", value))
    return headers


async def _bad_gateway(send: Send, reason: str) -> None:
    body = json.dumps(
        {
            "code": "PGRST000",
            "message": "Could not reach the upstream service",
            "details": reason,
            "hint": None,
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 502,
            "headers": [
                (b"content-type", b"application/json; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def parse(value: str) -> tuple[str, str] | None:
    """`"<prefix>=<url>"` → (prefix, url); None when unset. Raises ValueError when malformed."""
    value = value.strip()
    if not value:
        return None
    prefix, sep, url = value.partition("=")
    prefix, url = prefix.strip().rstrip("/"), url.strip()
    if not sep or not prefix.startswith("/") or not url.startswith(("http://", "https://")):
        raise ValueError(f"expected '<path prefix>=<http(s) URL>', got {value!r}")
    return prefix, url

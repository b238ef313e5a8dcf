"""Pass-through of a path prefix to another HTTP service (option taproot-proxy).

`taproot-proxy = "/api/ai=http://127.0.0.1:3001"`: requests under the prefix go to the
upstream with their full path and query, bodies streamed both ways without buffering
(server-sent events arrive as the upstream sends them). Hop-by-hop headers are dropped,
X-Forwarded-For/-Proto/-Host added. One httpx.AsyncClient per process. An upstream that
cannot be reached answers 502 in PostgREST's error shape.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from typing import Any

import httpx

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
TIMEOUT = httpx.Timeout(connect=5.0, read=None, write=60.0, pool=10.0)


class Proxy:
    def __init__(self, prefix: str, upstream: str) -> None:
        self.prefix = prefix
        self.upstream = upstream.rstrip("/")
        self._client: httpx.AsyncClient | None = None

    def matches(self, path: str) -> bool:
        return path == self.prefix or path.startswith(self.prefix + "/")

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(
                timeout=TIMEOUT,
                limits=httpx.Limits(max_connections=1000, max_keepalive_connections=100),
                follow_redirects=False,
            )
        return self._client

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        url = self.upstream + scope["path"]
        if scope.get("query_string"):
            url += "?" + scope["query_string"].decode("latin-1")
        headers = _forwarded(scope)
        # A body of known, small size goes whole with its Content-Length (cheaper for the
        # upstream to parse than chunks); anything else streams through.
        length = _content_length(scope)
        content: bytes | AsyncIterator[bytes] = (
            await _read(receive)
            if length is not None and length <= BUFFERED_BODY_BYTES
            else _body(receive)
        )
        if isinstance(content, bytes):
            headers.append((b"content-length", str(len(content)).encode()))
        request = self._http().build_request(scope["method"], url, headers=headers, content=content)
        try:
            response = await self._http().send(request, stream=True)
        except httpx.HTTPError as exc:
            log.warning("proxy upstream %s unreachable: %s", self.upstream, exc)
            await _bad_gateway(send, str(exc) or type(exc).__name__)
            return
        try:
            headers = [
                (k.lower(), v) for k, v in response.headers.raw if k.lower() not in HOP_BY_HOP
            ]
            await send(
                {"type": "http.response.start", "status": response.status_code, "headers": headers}
            )
            async for chunk in response.aiter_raw():
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
        except (httpx.HTTPError, OSError) as exc:
            # headers are out: all that is left is to end the body early
            log.warning("proxy stream from %s cut: %s", self.upstream, exc)
            await send({"type": "http.response.body", "body": b""})
        finally:
            await response.aclose()


def _content_length(scope: Scope) -> int | None:
    for key, value in scope["headers"]:
        if key == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


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

"""What the HTTP providers share: client settings, SSE reading, Retry-After and status mapping.

Each provider owns one `httpx.AsyncClient` built here with explicit timeouts and limits.
Upstream failures become `ProviderError`s in one place, so the OpenAI and Anthropic
providers only add what their error bodies say.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from ai.errors import ErrorKind, ProviderError
from ai.types import JSON, Usage
from taproot import logs


@dataclass(frozen=True)
class HttpSettings:
    """Timeouts (seconds) and pool limits of one provider's client.

    `stream_stall` is the longest wait between two SSE events of a stream; keep-alive
    comments do not reset it, since they prove the connection but not progress.
    """

    connect: float = 5.0
    read: float = 120.0
    write: float = 30.0
    pool: float = 10.0
    stream_stall: float = 60.0
    max_connections: int = 100
    max_keepalive_connections: int = 20


async def _tag(request: httpx.Request) -> None:
    """The Taproot request (X-Request-Id, traceparent) a provider call is made for."""
    for name, value in logs.outgoing_headers().items():
        request.headers[name] = value


def make_client(
    base_url: str, headers: Mapping[str, str], settings: HttpSettings
) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        event_hooks={"request": [_tag]},
        base_url=base_url.rstrip("/") + "/",
        headers=dict(headers),
        timeout=httpx.Timeout(
            connect=settings.connect, read=settings.read, write=settings.write, pool=settings.pool
        ),
        limits=httpx.Limits(
            max_connections=settings.max_connections,
            max_keepalive_connections=settings.max_keepalive_connections,
        ),
    )


def parse_retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait from `retry-after-ms`, or `retry-after` (seconds or an HTTP date)."""
    millis = headers.get("retry-after-ms")
    if millis:
        try:
            return max(0.0, float(millis) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def status_kind(status: int, code: str, message: str) -> ErrorKind:
    """The kind of an upstream HTTP error; `code` is the body's error code/type, lowercased."""
    if status in (401, 403):
        return ErrorKind.AUTH
    if status == 429:
        return ErrorKind.QUOTA if "insufficient_quota" in code else ErrorKind.RATE_LIMITED
    if status == 529 or (status == 503 and "overload" in f"{code} {message}".lower()):
        return ErrorKind.OVERLOADED
    # 408 (request timeout) and 409 (lock contention) are worth another try, as the SDKs do.
    if status >= 500 or status in (408, 409):
        return ErrorKind.TRANSIENT
    if "content_filter" in code or "content_policy" in code:
        return ErrorKind.CONTENT_FILTER
    return ErrorKind.PERMANENT


def body_json(response: httpx.Response) -> Any:
    """The decoded JSON body, or None when it is not JSON."""
    try:
        return json.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        return None


def http_error(response: httpx.Response, provider: str, code: str, message: str) -> ProviderError:
    kind = status_kind(response.status_code, code.lower(), message)
    return ProviderError(
        kind,
        f"{provider} answered {response.status_code}: {message or response.reason_phrase}",
        provider=provider,
        status=response.status_code,
        retry_after=parse_retry_after(response.headers),
    )


def transport_error(exc: httpx.HTTPError, provider: str) -> ProviderError:
    """A timeout or a broken connection: worth another try."""
    what = "timed out" if isinstance(exc, httpx.TimeoutException) else "connection failed"
    return ProviderError(
        ErrorKind.TRANSIENT, f"{provider} {what}: {type(exc).__name__}", provider=provider
    )


def malformed(provider: str, what: str) -> ProviderError:
    return ProviderError(
        ErrorKind.TRANSIENT, f"{provider} sent malformed {what}", provider=provider
    )


def decode_object(text: str | bytes, provider: str, what: str) -> JSON:
    """A JSON object from the upstream, or a TRANSIENT error (a garbled answer may not repeat)."""
    try:
        value = json.loads(text)
    except (ValueError, UnicodeDecodeError):
        raise malformed(provider, what) from None
    if not isinstance(value, dict):
        raise malformed(provider, what)
    return value


@dataclass(frozen=True)
class SseEvent:
    event: str  # "message" unless the upstream named it
    data: str


async def iter_sse(
    response: httpx.Response, *, stall: float, provider: str
) -> AsyncIterator[SseEvent]:
    """The events of a text/event-stream body; a stall longer than `stall` is TRANSIENT.

    The stall clock is checked per line read, never across our own `yield`: time the
    consumer spends with an event is not the upstream's.
    """
    loop = asyncio.get_running_loop()
    lines = response.aiter_lines()
    deadline = loop.time() + stall
    event, data = "message", []
    while True:
        try:
            async with asyncio.timeout_at(deadline):
                line = await anext(lines)
        except StopAsyncIteration:
            break
        except TimeoutError:
            raise ProviderError(
                ErrorKind.TRANSIENT, f"{provider} stream stalled for {stall:g} s", provider=provider
            ) from None
        if line.startswith(":"):
            continue  # a comment: keep-alive (": ping"), not progress
        if line:
            field, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if field == "event":
                event = value
            elif field == "data":
                data.append(value)
            continue
        if data:
            deadline = loop.time() + stall
            yield SseEvent(event, "\n".join(data))
        event, data = "message", []
    if data:
        yield SseEvent(event, "\n".join(data))


def with_progress(error: ProviderError, *, produced: bool, usage: Usage) -> ProviderError:
    """`error` as raised mid-stream: whether output was produced, and what was spent."""
    error.produced = error.produced or produced
    error.partial_usage = usage
    return error

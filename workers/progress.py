"""Partial output of a running AI request, for real-time subscribers of `request:<id>`.

The attempt streams its completion; what arrives is published as ephemeral
`ai_requests.delta` notifications (NOTIFY on taproot_deltas, never stored: the durable
`updated` event with the whole result follows). Publishing never blocks the attempt: at
most one notification is in flight per request, at most one per INTERVAL, and text that
arrives meanwhile is merged into the next one.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import psycopg
from psycopg_pool import AsyncConnectionPool

from ai.tokens import estimate_usage
from ai.types import ChatRequest, ChatResponse, Finish, StreamEvent, TextDelta, Usage

log = logging.getLogger("workers.progress")

Pool = AsyncConnectionPool[psycopg.AsyncConnection[Any]]
CHANNEL = "taproot_deltas"
INTERVAL = 0.25  # seconds between two deltas of one request
MAX_CHARS = 3000  # a NOTIFY payload must stay under 8,000 bytes (UTF-8, JSON-escaped)
_NOTIFY = "SELECT pg_notify(%s, %s)"


class DeltaPublisher:
    def __init__(self, pool: Pool, request_id: str, *, interval: float = INTERVAL) -> None:
        self._pool = pool
        self.request_id = request_id
        self._interval = interval
        self._pending: list[str] = []
        self._index = 0
        self._last = time.monotonic()  # the first delta waits one interval: short answers send none
        self._sending: asyncio.Task[None] | None = None

    def add(self, text: str) -> None:
        self._pending.append(text)
        if self._sending is None and time.monotonic() - self._last >= self._interval:
            self._sending = asyncio.create_task(self._send())

    async def _send(self) -> None:
        text = "".join(self._pending)
        chunk, rest = text[:MAX_CHARS], text[MAX_CHARS:]
        self._pending = [rest] if rest else []
        payload = json.dumps(
            {
                "channel": f"request:{self.request_id}",
                "event": "ai_requests.delta",
                "data": {"request_id": self.request_id, "index": self._index, "text": chunk},
            },
            ensure_ascii=False,
        )
        self._index += 1
        try:
            async with self._pool.connection() as conn:
                await conn.execute(_NOTIFY, (CHANNEL, payload))
        except psycopg.Error as exc:  # deltas may be dropped; the result never is
            log.debug("delta for %s dropped: %s", self.request_id, exc)
        finally:
            self._last = time.monotonic()
            self._sending = None

    async def aclose(self) -> None:
        """Stop publishing (an in-flight notification is abandoned, not awaited)."""
        if self._sending is not None:
            self._sending.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sending


async def collect(
    events: AsyncIterator[StreamEvent],
    request: ChatRequest,
    provider: str,
    publisher: DeltaPublisher,
) -> ChatResponse:
    """The whole answer of a streamed call, its text published as it arrives."""
    parts: list[str] = []
    finish = "stop"
    usage: Usage | None = None
    try:
        async for event in events:
            if isinstance(event, TextDelta):
                parts.append(event.text)
                publisher.add(event.text)
            elif isinstance(event, Finish):
                finish = event.reason
            else:
                usage = event.usage
    finally:
        await publisher.aclose()
    content = "".join(parts)
    return ChatResponse(
        id=f"taproot-{publisher.request_id}",
        model=request.model,
        content=content,
        finish_reason=finish,
        usage=usage or estimate_usage(request.messages, content),
        provider=provider,
    )

"""Subscribers of one process and the in-memory fan-out: channel key → set of subscribers.

A subscriber owns a bounded buffer of frames; its stream writer drains it. A subscriber
that falls `queue-size` frames behind is closed with a final event telling it to resume
from its last id (EventSource reconnects with Last-Event-ID by itself).
"""

from __future__ import annotations

import asyncio
import gc
from collections import deque
from collections.abc import Iterable

from gateway.realtime import sse
from gateway.tx import Context


class Subscriber:
    __slots__ = (
        "_waiter",
        "buffer",
        "channels",
        "ctx",
        "expiry",
        "final",
        "last_id",
        "limit",
        "skip_through",
        "topics",
        "user",
        "wrote",
    )

    def __init__(
        self, topics: list[str], channels: list[str], ctx: Context, user: str, limit: int
    ) -> None:
        self.topics = topics
        self.channels = channels
        self.ctx = ctx
        self.user = user
        self.limit = limit
        self.buffer: deque[bytes] = deque()
        self.final: bytes | None = None
        self.last_id: int | None = None  # the last event id queued for this client
        self.skip_through = 0  # live events up to this id were (or will be) replayed
        self.expiry: asyncio.TimerHandle | None = None
        self.wrote = False  # anything queued since the last heartbeat visit
        self._waiter: asyncio.Future[None] | None = None

    @property
    def closed(self) -> bool:
        return self.final is not None

    def push(self, chunk: bytes, event_id: int | None = None) -> None:
        if self.final is not None:
            return
        if len(self.buffer) >= self.limit:
            self.close(
                sse.closed("slow_consumer", "reconnect", last_event_id=self.last_id),
            )
            return
        self.buffer.append(chunk)
        self.wrote = True
        if event_id is not None:
            self.last_id = event_id
        self._wake()

    def close(self, final: bytes) -> None:
        """End the stream after what is buffered, with `final` as its last frame."""
        if self.final is None:
            self.final = final
            if self.expiry is not None:
                self.expiry.cancel()
            self._wake()

    def disconnected(self) -> None:
        self.close(b"")

    def take(self) -> bytes:
        out = b"".join(self.buffer)
        self.buffer.clear()
        return out

    async def wait(self) -> None:
        if self.buffer or self.final is not None:
            return
        self._waiter = asyncio.get_running_loop().create_future()
        try:
            await self._waiter
        finally:
            self._waiter = None

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)


class Hub:
    def __init__(self) -> None:
        self.subscribers: set[Subscriber] = set()
        self.by_channel: dict[str, set[Subscriber]] = {}
        self.per_user: dict[str, int] = {}
        self._beat: list[Subscriber] = []  # this heartbeat round's visiting order
        self._frozen = 0  # subscribers when the collector was last told to skip old objects

    def add(self, sub: Subscriber) -> None:
        self.subscribers.add(sub)
        for channel in sub.channels:
            self.by_channel.setdefault(channel, set()).add(sub)
        self.per_user[sub.user] = self.per_user.get(sub.user, 0) + 1

    def remove(self, sub: Subscriber) -> None:
        if sub not in self.subscribers:
            return
        self.subscribers.discard(sub)
        for channel in sub.channels:
            subs = self.by_channel.get(channel)
            if subs is not None:
                subs.discard(sub)
                if not subs:
                    del self.by_channel[channel]
        left = self.per_user.get(sub.user, 1) - 1
        if left:
            self.per_user[sub.user] = left
        else:
            self.per_user.pop(sub.user, None)

    def streams_of(self, user: str) -> int:
        return self.per_user.get(user, 0)

    def audience(self, channels: Iterable[str]) -> set[Subscriber]:
        out: set[Subscriber] = set()
        for channel in channels:
            subs = self.by_channel.get(channel)
            if subs:
                out |= subs
        return out

    def deliver(self, event_id: int, channels: Iterable[str], chunk: bytes) -> None:
        for sub in self.audience(channels):
            if event_id > sub.skip_through:
                sub.push(chunk, event_id)

    def delta(self, channel: str, chunk: bytes) -> None:
        for sub in tuple(self.by_channel.get(channel, ())):
            sub.push(chunk)

    def heartbeat(self, share: float = 1.0) -> None:
        """Visit `share` of the subscribers (a round visits each once): a stream that sent
        nothing since its last visit gets a keep-alive comment. Spread over the round, so
        thousands of idle streams never make one burst that delays the next event."""
        if not self._beat:
            self._beat = list(self.subscribers)
            self._compact_old_objects()
        count = max(1, round(len(self.subscribers) * share))
        visit, self._beat = self._beat[:count], self._beat[count:]
        for sub in visit:
            if sub.wrote:
                sub.wrote = False
            elif not sub.closed:
                sub.push(sse.KEEP_ALIVE)
                sub.wrote = False

    def _compact_old_objects(self) -> None:
        """Thousands of long-lived streams make full collections take hundreds of ms (all
        streams stall meanwhile): once the population grew by a tenth, freeze what exists
        so the collector only walks what is new."""
        if len(self.subscribers) > self._frozen * 1.1 + 100:
            gc.freeze()
            self._frozen = len(self.subscribers)

    def close_all(self, final: bytes) -> None:
        for sub in tuple(self.subscribers):
            sub.close(final)

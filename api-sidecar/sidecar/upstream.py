"""Calls to providers from request threads: credential, breaker, retries, the loop bridge.

Each call resolves its provider (the workspace's own secret for the credential when it has
one, else the process's configured key), passes the credential's circuit breaker once and
retries transient errors inside it, so one breaker outcome is one client-visible attempt.
Streams are retried up to their first event only; after that errors pass through.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TypeVar

from ai import registry
from ai.breaker import Breakers
from ai.errors import ErrorKind, ProviderError
from ai.keycache import KeyCache
from ai.retry import call_with_retries, open_stream_with_retries
from ai.types import (
    ChatRequest,
    ChatResponse,
    EmbeddingRequest,
    EmbeddingResponse,
    Provider,
    StreamEvent,
)
from sidecar._sql import query
from sidecar.aio import Loop, Stream
from sidecar.caller import Caller
from sidecar.db import Database
from sidecar.timing import Clock

T = TypeVar("T")
_CREDENTIAL = query("ai", "provider_credential")


class Upstream:
    def __init__(
        self, loop: Loop, db: Database, breakers: Breakers, *, secrets: bool, attempts: int
    ) -> None:
        self._loop = loop
        self._db = db
        self.breakers = breakers
        self._secrets = secrets
        self._attempts = attempts
        self._keys = KeyCache()

    def provider(self, caller: Caller, credential: str) -> Provider:
        # The fake provider has no key; without the secrets key none can be decrypted.
        if credential == "fake" or not self._secrets:
            return registry.get_provider(credential)
        return registry.get_provider(credential, api_key=self._workspace_key(caller, credential))

    def _workspace_key(self, caller: Caller, credential: str) -> str | None:
        """The workspace's own key for `credential` (None: use the process's), cached briefly.

        Only callers already allowed to run AI in the workspace get here (caller.py)."""
        workspace = str(caller.workspace_id)
        fresh, cached = self._keys.get(workspace, credential)
        if fresh:
            return cached
        with self._db.transaction(caller.role, secrets=True) as tx:
            row = tx.one(_CREDENTIAL, {"workspace_id": caller.workspace_id, "provider": credential})
        key = row["secret"] if row is not None else None
        self._keys.put(workspace, credential, key)
        return key

    def chat(
        self, clock: Clock, provider: Provider, credential: str, request: ChatRequest
    ) -> ChatResponse:
        def attempt(number: int) -> Awaitable[ChatResponse]:
            return provider.chat(dataclasses.replace(request, attempt=number))

        return self._whole(clock, credential, attempt)

    def embed(
        self, clock: Clock, provider: Provider, credential: str, request: EmbeddingRequest
    ) -> EmbeddingResponse:
        def attempt(number: int) -> Awaitable[EmbeddingResponse]:
            return provider.embed(dataclasses.replace(request, attempt=number))

        return self._whole(clock, credential, attempt)

    def models(self, clock: Clock, provider: Provider, credential: str) -> list[str]:
        return self._whole(clock, credential, lambda _number: provider.list_models())

    def _whole(self, clock: Clock, credential: str, fn: Callable[[int], Awaitable[T]]) -> T:
        async def guarded() -> T:
            began = time.perf_counter()
            try:
                return await call_with_retries(fn, attempts=self._attempts)
            finally:
                clock.spent_upstream(began)

        return self._loop.run(self.breakers.call(credential, guarded))

    def open_stream(
        self, clock: Clock, provider: Provider, credential: str, request: ChatRequest
    ) -> tuple[StreamEvent, Stream[StreamEvent]]:
        """The stream's first event (retried, behind the breaker) and the rest of it.

        Raises the ProviderError of a stream that failed before its first event.
        """
        attempts = self._attempts

        async def retried() -> AsyncIterator[StreamEvent]:
            # the provider's time is up to its first event (the header is written then)
            began: float | None = time.perf_counter()
            try:
                events = await open_stream_with_retries(
                    lambda number: provider.stream_chat(
                        dataclasses.replace(request, attempt=number)
                    ),
                    attempts=attempts,
                )
                async for event in events:
                    if began is not None:
                        clock.spent_upstream(began)
                        began = None
                    yield event
            finally:
                if began is not None:
                    clock.spent_upstream(began)

        stream = self._loop.stream(lambda: self.breakers.stream(credential, retried))
        try:
            first = next(stream)
        except StopIteration:
            raise ProviderError(
                ErrorKind.TRANSIENT, "the upstream stream ended without an event"
            ) from None
        return first, stream

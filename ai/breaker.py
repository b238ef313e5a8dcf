"""Circuit breakers per provider credential, so a failing upstream is not hammered.

A breaker opens after `fail_max` consecutive retryable failures (timeouts, 5xx, 429, 529)
and then refuses calls without reaching the upstream: `ProviderError(OVERLOADED,
"circuit open for <credential>")` with `retry_after` set to the time left. After
`reset_timeout` seconds one trial call goes through (half-open): success closes the
breaker, failure opens it again. Answers that prove the upstream alive (PERMANENT, AUTH,
CONTENT_FILTER, QUOTA) count as successes.

pybreaker keeps the counts and states. Its `calling()` context manager cannot span an
await safely (the outcome of a cancelled call would be misread), so the call runs first
and its outcome is replayed into `calling()` afterwards; a cancelled call records nothing.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TypeVar

import pybreaker

from ai.errors import ErrorKind, ProviderError
from ai.types import (
    ChatRequest,
    ChatResponse,
    EmbeddingRequest,
    EmbeddingResponse,
    Provider,
    StreamEvent,
)

T = TypeVar("T")


def _not_an_outage(error: BaseException) -> bool:
    return not (isinstance(error, ProviderError) and error.retryable)


class _OpenedAt(pybreaker.CircuitBreakerListener):
    """Remembers when each breaker last opened (monotonic), for Retry-After and trials."""

    def __init__(self) -> None:
        self.when: dict[str, float] = {}

    def state_change(
        self,
        cb: pybreaker.CircuitBreaker,
        old_state: pybreaker.CircuitBreakerState | None,
        new_state: pybreaker.CircuitBreakerState,
    ) -> None:
        if new_state.name == pybreaker.STATE_OPEN:
            self.when[str(cb.name)] = time.monotonic()


class Breakers:
    """The breakers of one process, keyed by credential name (never by a secret)."""

    def __init__(self, *, fail_max: int = 5, reset_timeout: float = 30.0) -> None:
        self.fail_max = fail_max
        self.reset_timeout = reset_timeout
        self._breakers: dict[str, pybreaker.CircuitBreaker] = {}
        self._opened = _OpenedAt()

    def breaker(self, key: str) -> pybreaker.CircuitBreaker:
        if key not in self._breakers:
            self._breakers[key] = pybreaker.CircuitBreaker(
                fail_max=self.fail_max,
                reset_timeout=self.reset_timeout,
                exclude=[_not_an_outage],
                listeners=[self._opened],
                throw_new_error_on_trip=False,
                name=key,
            )
        return self._breakers[key]

    def states(self) -> dict[str, str]:
        """{credential: "closed" | "open" | "half-open"} for the admin endpoint."""
        return {key: str(b.current_state) for key, b in sorted(self._breakers.items())}

    def admit(self, key: str) -> None:
        """Raise unless a call for `key` may go upstream now."""
        breaker = self.breaker(key)
        if breaker.current_state != pybreaker.STATE_OPEN:
            return
        now = time.monotonic()
        left = self._opened.when.get(key, 0.0) + self.reset_timeout - now
        if left > 0:
            raise ProviderError(
                ErrorKind.OVERLOADED, f"circuit open for {key}", retry_after=round(left, 3)
            )
        # This call is the trial: hold the others back for another period until it reports.
        self._opened.when[key] = now

    def record(self, key: str, error: ProviderError | None) -> None:
        """Feed one call's outcome to the breaker (None = success)."""
        with (
            contextlib.suppress(pybreaker.CircuitBreakerError, ProviderError),
            self.breaker(key).calling(),
        ):
            if error is not None:
                raise error

    async def call(self, key: str, fn: Callable[[], Awaitable[T]]) -> T:
        self.admit(key)
        try:
            result = await fn()
        except ProviderError as error:
            self.record(key, error)
            raise
        self.record(key, None)
        return result

    async def stream(
        self, key: str, open_stream: Callable[[], AsyncIterator[StreamEvent]]
    ) -> AsyncIterator[StreamEvent]:
        """The events of `open_stream()`; the breaker hears how the stream ended."""
        self.admit(key)
        try:
            async for event in open_stream():
                yield event
        except ProviderError as error:
            self.record(key, error)
            raise
        self.record(key, None)

    def guard(self, provider: Provider, key: str) -> Provider:
        """`provider` behind the breaker for `key`."""
        return GuardedProvider(provider, self, key)


class GuardedProvider:
    """A Provider whose every call passes its credential's breaker."""

    def __init__(self, inner: Provider, breakers: Breakers, key: str) -> None:
        self.inner = inner
        self.name = inner.name
        self._breakers = breakers
        self._key = key

    def __repr__(self) -> str:
        return f"GuardedProvider({self.inner!r}, key={self._key!r})"

    async def chat(self, request: ChatRequest) -> ChatResponse:
        return await self._breakers.call(self._key, lambda: self.inner.chat(request))

    def stream_chat(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        return self._breakers.stream(self._key, lambda: self.inner.stream_chat(request))

    async def embed(self, request: EmbeddingRequest) -> EmbeddingResponse:
        return await self._breakers.call(self._key, lambda: self.inner.embed(request))

    async def list_models(self) -> list[str]:
        return await self._breakers.call(self._key, self.inner.list_models)

    async def aclose(self) -> None:
        await self.inner.aclose()


# The process's breakers: what the sidecar and the workers share, and the admin reads.
breakers = Breakers()

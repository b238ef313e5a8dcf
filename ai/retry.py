"""Retries with capped exponential backoff and full jitter, honouring the upstream's Retry-After.

`backoff_delay` is the pure rule, shared with the job retry policy. `call_with_retries`
applies it in-process (the sidecar, before the first byte is sent to its client) with
tenacity; `open_stream_with_retries` does the same for a stream up to its first event.
Only retryable errors (ai.errors.RETRYABLE) are retried, never one that already produced
output, and never when the upstream asks for a longer wait than the caller can afford.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Protocol, TypeVar

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

from ai.errors import ProviderError
from ai.types import StreamEvent

T = TypeVar("T")


class Uniform(Protocol):
    """What backoff needs from a random source (random.Random fits)."""

    def uniform(self, a: float, b: float) -> float: ...


def backoff_delay(
    attempt: int, *, base: float, cap: float, retry_after: float | None, rng: Uniform
) -> float:
    """Seconds to wait after failed attempt `attempt` (1 = the first).

    Full jitter (uniform in [0, min(cap, base * 2**(attempt-1))]) spreads retrying clients
    apart; an upstream's Retry-After is a floor, since retrying sooner only fails again.
    """
    ceiling = min(cap, base * 2 ** max(attempt - 1, 0))
    return max(retry_after or 0.0, rng.uniform(0.0, ceiling))


def should_retry(error: BaseException, *, max_wait: float) -> bool:
    """Whether an in-process caller should try `error`'s call again."""
    if not isinstance(error, ProviderError) or not error.retryable or error.produced:
        return False
    return error.retry_after is None or error.retry_after <= max_wait


async def call_with_retries(
    fn: Callable[[int], Awaitable[T]],
    *,
    attempts: int = 3,
    base: float = 0.5,
    cap: float = 8.0,
    max_wait: float = 30.0,
    rng: Uniform | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> T:
    """`await fn(attempt)` for attempt 1, 2, ... until it succeeds or may not be retried.

    The last error is raised as it was. `max_wait` bounds a Retry-After worth waiting for.
    """
    source: Uniform = rng or random.Random()  # noqa: S311 - jitter, not cryptography

    def wait(state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        retry_after = error.retry_after if isinstance(error, ProviderError) else None
        return backoff_delay(
            state.attempt_number, base=base, cap=cap, retry_after=retry_after, rng=source
        )

    retrying = AsyncRetrying(
        stop=stop_after_attempt(attempts),
        retry=retry_if_exception(lambda error: should_retry(error, max_wait=max_wait)),
        wait=wait,
        sleep=sleep,
        reraise=True,
    )
    async for attempt in retrying:
        with attempt:
            return await fn(attempt.retry_state.attempt_number)
    raise AssertionError("tenacity stopped without an outcome")


async def open_stream_with_retries(
    open_stream: Callable[[int], AsyncIterator[StreamEvent]],
    *,
    attempts: int = 3,
    base: float = 0.5,
    cap: float = 8.0,
    max_wait: float = 30.0,
) -> AsyncIterator[StreamEvent]:
    """A stream whose opening (up to its first event) is retried like `call_with_retries`.

    Once the first event is out, errors pass through: the caller has started answering.
    """

    async def first(attempt: int) -> tuple[StreamEvent, AsyncIterator[StreamEvent]]:
        events = open_stream(attempt)
        try:
            return await anext(events), events
        except BaseException:
            await _close(events)
            raise

    head, events = await call_with_retries(
        first, attempts=attempts, base=base, cap=cap, max_wait=max_wait
    )
    return _chain(head, events)


async def _chain(
    head: StreamEvent, events: AsyncIterator[StreamEvent]
) -> AsyncIterator[StreamEvent]:
    try:
        yield head
        async for event in events:
            yield event
    finally:
        await _close(events)


async def _close(events: AsyncIterator[StreamEvent]) -> None:
    aclose = getattr(events, "aclose", None)
    if aclose is not None:
        await aclose()

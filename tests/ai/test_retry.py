"""In-process retries: backoff rule, Retry-After floor, what is and is not retried."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator

import pytest

from ai.errors import ErrorKind, ProviderError
from ai.providers import FakeProvider
from ai.retry import backoff_delay, call_with_retries, open_stream_with_retries
from ai.types import ChatRequest, StreamEvent, TextDelta


class Top:
    """A random source that always picks the top of the range."""

    def uniform(self, a: float, b: float) -> float:
        return b


def test_backoff_doubles_up_to_the_cap_and_honours_retry_after() -> None:
    delays = [
        backoff_delay(n, base=0.5, cap=3.0, retry_after=None, rng=Top()) for n in (1, 2, 3, 4)
    ]
    assert delays == [0.5, 1.0, 2.0, 3.0]
    assert backoff_delay(1, base=0.5, cap=3.0, retry_after=10.0, rng=Top()) == 10.0
    rng = random.Random(1)
    assert all(
        0 <= backoff_delay(5, base=1, cap=4, retry_after=None, rng=rng) <= 4 for _ in range(50)
    )


class Recorder:
    def __init__(self) -> None:
        self.slept: list[float] = []

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)


async def test_retries_retryable_errors_waiting_at_least_retry_after() -> None:
    recorder, attempts = Recorder(), []

    async def call(attempt: int) -> str:
        attempts.append(attempt)
        if attempt < 3:
            raise ProviderError(ErrorKind.RATE_LIMITED, "slow down", retry_after=2.0)
        return "done"

    result = await call_with_retries(call, attempts=3, base=0.01, rng=Top(), sleep=recorder.sleep)
    assert result == "done" and attempts == [1, 2, 3] and recorder.slept == [2.0, 2.0]


@pytest.mark.parametrize(
    "error",
    [
        ProviderError(ErrorKind.PERMANENT, "bad"),
        ProviderError(ErrorKind.TRANSIENT, "cut", produced=True),
        ProviderError(ErrorKind.RATE_LIMITED, "come back tomorrow", retry_after=86400),
        ValueError("not a provider error"),
    ],
)
async def test_stops_at_once_on_what_must_not_be_retried(error: Exception) -> None:
    recorder, attempts = Recorder(), []

    async def call(attempt: int) -> str:
        attempts.append(attempt)
        raise error

    with pytest.raises(type(error)):
        await call_with_retries(call, sleep=recorder.sleep)
    assert attempts == [1] and recorder.slept == []


async def test_gives_up_after_the_last_attempt_with_the_last_error() -> None:
    async def call(attempt: int) -> str:
        raise ProviderError(ErrorKind.TRANSIENT, f"attempt {attempt}")

    with pytest.raises(ProviderError, match="attempt 2"):
        await call_with_retries(call, attempts=2, base=0.001)


async def test_fake_provider_fail_times_is_retried_through() -> None:
    fake = FakeProvider()
    params = {"fake_fail": "overloaded", "fake_fail_times": 1, "fake_retry_after": 0.01}

    async def call(attempt: int) -> str:
        request = ChatRequest(
            model="m", messages=[{"role": "user", "content": "x"}], params=params, attempt=attempt
        )
        return (await fake.chat(request)).content

    assert (await call_with_retries(call, base=0.001)).startswith("[fake]")


async def test_stream_opening_is_retried_until_the_first_event() -> None:
    fake = FakeProvider()
    opened: list[int] = []

    def open_stream(attempt: int) -> AsyncIterator[StreamEvent]:
        opened.append(attempt)
        request = ChatRequest(
            model="m",
            messages=[{"role": "user", "content": "a b c"}],
            params={"fake_fail": "transient", "fake_fail_times": 1},
            attempt=attempt,
        )
        return fake.stream_chat(request)

    events = [e async for e in await open_stream_with_retries(open_stream, base=0.001)]
    assert opened == [1, 2] and isinstance(events[0], TextDelta) and len(events) >= 4


async def test_stream_errors_after_the_first_event_pass_through() -> None:
    fake = FakeProvider()

    def open_stream(attempt: int) -> AsyncIterator[StreamEvent]:
        request = ChatRequest(
            model="m",
            messages=[{"role": "user", "content": "a b c"}],
            params={"fake_fail_after_chunks": 1},
            attempt=attempt,
        )
        return fake.stream_chat(request)

    stream = await open_stream_with_retries(open_stream, attempts=3, base=0.001)
    with pytest.raises(ProviderError) as caught:
        _ = [e async for e in stream]
    assert caught.value.produced

"""Circuit breakers: opening on retryable failures only, refusing, half-open trial, closing."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

import pytest

from ai.breaker import Breakers
from ai.errors import ErrorKind, ProviderError
from ai.providers import FakeProvider
from ai.types import ChatRequest, EmbeddingRequest

OK = ChatRequest(model="m", messages=[{"role": "user", "content": "hi"}])
DOWN = ChatRequest(model="m", messages=OK.messages, params={"fake_fail": "transient"})
BAD = ChatRequest(model="m", messages=OK.messages, params={"fake_fail": "permanent"})


async def fail(call: Awaitable[object]) -> ProviderError:
    with pytest.raises(ProviderError) as caught:
        await call
    return caught.value


async def test_opens_after_consecutive_retryable_failures_then_recovers() -> None:
    breakers = Breakers(fail_max=3, reset_timeout=0.1)
    provider = breakers.guard(FakeProvider(), "openai")
    for _ in range(3):
        assert (await fail(provider.chat(DOWN))).message.startswith("fake transient")
    assert breakers.states() == {"openai": "open"}
    refused = await fail(provider.chat(OK))
    assert refused.kind is ErrorKind.OVERLOADED and refused.message == "circuit open for openai"
    assert refused.retry_after is not None and 0 < refused.retry_after <= 0.1
    await asyncio.sleep(0.12)
    assert (await provider.chat(OK)).content.startswith("[fake]")  # the half-open trial
    assert breakers.states() == {"openai": "closed"}


async def test_a_failed_trial_opens_it_again_and_holds_others_back() -> None:
    breakers = Breakers(fail_max=1, reset_timeout=0.05)
    provider = breakers.guard(FakeProvider(), "anthropic")
    await fail(provider.chat(DOWN))
    await asyncio.sleep(0.06)
    breakers.admit("anthropic")  # a trial is in flight ...
    assert (
        await fail(provider.chat(OK))
    ).message == "circuit open for anthropic"  # ... others wait
    await asyncio.sleep(0.06)
    await fail(provider.chat(DOWN))  # the next trial fails
    assert breakers.states()["anthropic"] == "open"


async def test_permanent_errors_do_not_trip_it_and_reset_the_count() -> None:
    breakers = Breakers(fail_max=2, reset_timeout=10)
    provider = breakers.guard(FakeProvider(), "fake")
    for _ in range(5):
        await fail(provider.chat(BAD))
        await fail(provider.chat(DOWN))
    assert breakers.states() == {"fake": "closed"}


async def test_streams_embeddings_and_models_pass_the_breaker() -> None:
    breakers = Breakers(fail_max=1, reset_timeout=10)
    provider = breakers.guard(FakeProvider(), "k")
    assert provider.name == "fake" and "k" in repr(provider)
    assert len([e async for e in provider.stream_chat(OK)]) >= 3
    assert await provider.list_models()
    assert (await provider.embed(EmbeddingRequest(model="e", inputs=["a"]))).vectors
    cut = ChatRequest(model="m", messages=OK.messages, params={"fake_fail_after_chunks": 1})
    with pytest.raises(ProviderError):
        _ = [e async for e in provider.stream_chat(cut)]
    assert breakers.states() == {"k": "open"}
    with pytest.raises(ProviderError, match="circuit open"):
        _ = [e async for e in provider.stream_chat(OK)]
    await provider.aclose()


async def test_cancelled_calls_record_nothing() -> None:
    breakers = Breakers(fail_max=1, reset_timeout=10)
    provider = breakers.guard(FakeProvider(), "slow")
    slow = ChatRequest(model="m", messages=OK.messages, params={"fake_latency_ms": 1000})
    task = asyncio.create_task(provider.chat(slow))
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert breakers.breaker("slow").fail_counter == 0

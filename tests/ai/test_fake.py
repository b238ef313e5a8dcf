"""The fake provider: determinism, labels, stream shape and every fake_* knob."""

from __future__ import annotations

import math
import time

import pytest

from ai.errors import ErrorKind, ProviderError
from ai.providers import FakeProvider
from ai.tokens import count_tokens
from ai.types import ChatRequest, EmbeddingRequest, Finish, StreamEvent, TextDelta, UsageReport

FAKE = FakeProvider()
MESSAGES = [{"role": "system", "content": "be brief"}, {"role": "user", "content": "Hello  there"}]


def chat(
    attempt: int = 1, messages: list[dict[str, object]] | None = None, **params: object
) -> ChatRequest:
    return ChatRequest(
        model="any-model", messages=messages or MESSAGES, params=dict(params), attempt=attempt
    )


async def collect(request: ChatRequest) -> list[StreamEvent]:
    return [event async for event in FAKE.stream_chat(request)]


async def test_answers_are_labelled_and_deterministic() -> None:
    first, second = await FAKE.chat(chat()), await FAKE.chat(chat())
    assert first == second
    assert first.content.startswith("[fake] Hello there #")
    assert first.id.startswith("fake-") and first.provider == "fake" and first.model == "any-model"
    assert first.usage.output_tokens == count_tokens(first.content) and not first.usage.estimated
    assert first.usage.input_tokens == math.ceil(len("be brief\nHello  there") / 4)
    other = await FAKE.chat(chat(messages=[{"role": "user", "content": "else"}]))
    assert other.content != first.content


async def test_long_and_empty_prompts() -> None:
    long = await FAKE.chat(chat(messages=[{"role": "user", "content": "word " * 100}]))
    assert "…" in long.content and len(long.content) < 100
    empty = await FAKE.chat(chat(messages=[{"role": "assistant", "content": "x"}]))
    assert empty.content.startswith("[fake] #")


async def test_stream_is_words_then_finish_then_usage() -> None:
    events = await collect(chat())
    deltas = [e for e in events if isinstance(e, TextDelta)]
    whole = await FAKE.chat(chat())
    assert len(deltas) >= 3 and "".join(d.text for d in deltas) == whole.content
    assert events[len(deltas) :] == [Finish("stop"), UsageReport(whole.usage)]


async def test_output_knobs_and_max_tokens() -> None:
    exact = await FAKE.chat(chat(fake_output="exactly this"))
    assert exact.content == "exactly this"
    sized = await FAKE.chat(chat(fake_output_tokens=200))
    assert sized.usage.output_tokens == 200 and sized.content.startswith("[fake] ")
    cut = await FAKE.chat(chat(fake_output_tokens=200, max_tokens=10))
    assert cut.finish_reason == "length" and cut.usage.output_tokens == 10


async def test_latency_and_stream_interval_sleep() -> None:
    started = time.monotonic()
    await FAKE.chat(chat(fake_latency_ms=50))
    events = await collect(chat(fake_stream_interval_ms=20))
    assert time.monotonic() - started >= 0.05 + 0.02 * (len(events) - 3)


@pytest.mark.parametrize(
    ("name", "kind", "status"),
    [
        ("transient", ErrorKind.TRANSIENT, 500),
        ("rate_limited", ErrorKind.RATE_LIMITED, 429),
        ("overloaded", ErrorKind.OVERLOADED, 529),
        ("permanent", ErrorKind.PERMANENT, 400),
        ("auth", ErrorKind.AUTH, 401),
        ("content_filter", ErrorKind.CONTENT_FILTER, 400),
        ("quota", ErrorKind.QUOTA, 429),
    ],
)
async def test_fake_fail_raises_each_kind(name: str, kind: ErrorKind, status: int) -> None:
    for call in (FAKE.chat(chat(fake_fail=name)), collect(chat(fake_fail=name))):
        with pytest.raises(ProviderError) as caught:
            await call
        assert (caught.value.kind, caught.value.status) == (kind, status)


async def test_retry_after_and_fail_times_count_attempts() -> None:
    with pytest.raises(ProviderError) as caught:
        await FAKE.chat(chat(fake_fail="rate_limited", fake_retry_after=2.5))
    assert caught.value.retry_after == 2.5
    for attempt in (1, 2):
        with pytest.raises(ProviderError):
            await FAKE.chat(chat(attempt=attempt, fake_fail="transient", fake_fail_times=2))
    success = await FAKE.chat(chat(attempt=3, fake_fail="transient", fake_fail_times=2))
    assert success.content.startswith("[fake]")


async def test_fail_after_chunks_cuts_the_stream_with_partial_usage() -> None:
    seen: list[StreamEvent] = []
    with pytest.raises(ProviderError) as caught:
        async for event in FAKE.stream_chat(chat(fake_fail_after_chunks=2)):
            seen.append(event)
    error = caught.value
    assert len(seen) == 2 and error.kind is ErrorKind.TRANSIENT and error.produced
    assert error.partial_usage is not None and error.partial_usage.output_tokens > 0
    with pytest.raises(ProviderError) as before_any:
        await collect(chat(fake_fail_after_chunks=0))
    assert not before_any.value.produced
    with pytest.raises(ProviderError):
        await FAKE.chat(chat(fake_fail_after_chunks=1))
    again = await collect(chat(attempt=2, fake_fail_after_chunks=2, fake_fail_times=1))
    assert isinstance(again[-1], UsageReport)


@pytest.mark.parametrize(
    "params",
    [{"fake_fail": "nonsense"}, {"fake_latency_ms": "slow"}, {"fake_latency_ms": -1}],
)
async def test_bad_knobs_are_permanent(params: dict[str, object]) -> None:
    with pytest.raises(ProviderError) as caught:
        await FAKE.chat(ChatRequest(model="m", messages=MESSAGES, params=params))
    assert caught.value.kind is ErrorKind.PERMANENT


async def test_embeddings_are_deterministic_unit_vectors() -> None:
    request = EmbeddingRequest(model="e", inputs=["a", "b"], params={"dimensions": 8})
    first, second = await FAKE.embed(request), await FAKE.embed(request)
    assert first == second and first.provider == "fake"
    assert all(len(v) == 8 and math.isclose(sum(x * x for x in v), 1.0) for v in first.vectors)
    assert first.vectors[0] != first.vectors[1]
    default = await FAKE.embed(EmbeddingRequest(model="e", inputs=["a"]))
    assert len(default.vectors[0]) == 16
    for params in ({"dimensions": 0}, {"fake_fail": "auth"}):
        with pytest.raises(ProviderError):
            await FAKE.embed(EmbeddingRequest(model="e", inputs=["a"], params=params))


async def test_models_close_and_repr() -> None:
    assert "fake-chat" in await FAKE.list_models()
    await FAKE.aclose()
    assert repr(FAKE) == "FakeProvider()"


async def test_cheap_enough_for_benchmarks() -> None:
    started = time.monotonic()
    for _ in range(500):
        await FAKE.chat(chat())
    assert time.monotonic() - started < 1.0

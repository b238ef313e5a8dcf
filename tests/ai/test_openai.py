"""The OpenAI-compatible provider against the scripted loopback upstream."""

from __future__ import annotations

import pytest

from ai.errors import ErrorKind, ProviderError
from ai.providers import OpenAIProvider
from ai.types import (
    ChatRequest,
    EmbeddingRequest,
    Finish,
    StreamEvent,
    TextDelta,
    Usage,
    UsageReport,
)
from tests.ai.upstream import Upstream

MESSAGES = [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi there"}]
EXACT = Usage(input_tokens=11, output_tokens=3, cached_input_tokens=4, reasoning_tokens=2)


def chat(model: str, **params: object) -> ChatRequest:
    return ChatRequest(model=model, messages=MESSAGES, params=dict(params))


async def collect(provider: OpenAIProvider, request: ChatRequest) -> list[StreamEvent]:
    return [event async for event in provider.stream_chat(request)]


async def failure(provider: OpenAIProvider, request: ChatRequest, *, stream: bool) -> ProviderError:
    with pytest.raises(ProviderError) as caught:
        if stream:
            await collect(provider, request)
        else:
            await provider.chat(request)
    return caught.value


async def test_whole_answer_maps_usage_and_sends_params(
    openai: OpenAIProvider, upstream: Upstream
) -> None:
    response = await openai.chat(chat("ok", temperature=0, seed=7, fake_latency_ms=5, cache=True))
    assert (response.content, response.finish_reason, response.id) == (
        "Hello world",
        "stop",
        "chatcmpl-1",
    )
    assert response.usage == EXACT and response.provider == "openai"
    sent = upstream.last()
    assert sent.path == "/openai/v1/chat/completions"
    assert sent.headers["authorization"] == "Bearer sk-test-secret"
    assert sent.body == {"model": "ok", "messages": MESSAGES, "temperature": 0, "seed": 7}


async def test_whole_answer_tool_calls_and_missing_usage(openai: OpenAIProvider) -> None:
    tools = await openai.chat(chat("tools"))
    assert tools.content == "" and tools.finish_reason == "tool_calls"
    assert tools.tool_calls == [{"id": "t1", "type": "function", "function": {"name": "f"}}]
    estimated = await openai.chat(chat("no-usage"))
    assert estimated.usage.estimated and estimated.usage.output_tokens == 3  # "Hello world"


async def test_stream_asks_for_usage_and_yields_deltas_finish_usage(
    openai: OpenAIProvider, upstream: Upstream
) -> None:
    events = await collect(openai, chat("ok", stream=False, stream_options={"x": 1}))
    assert events == [TextDelta("Hello"), TextDelta(" world"), Finish("stop"), UsageReport(EXACT)]
    body = upstream.last().body
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}


@pytest.mark.parametrize("model", ["keepalive", "no-done"])
async def test_stream_tolerates_keepalives_and_a_missing_done(
    openai: OpenAIProvider, model: str
) -> None:
    events = await collect(openai, chat(model))
    assert events[-2:] == [Finish("stop"), UsageReport(EXACT)]


async def test_stream_without_usage_estimates_it(openai: OpenAIProvider) -> None:
    events = await collect(openai, chat("no-usage"))
    usage = events[-1]
    assert isinstance(usage, UsageReport) and usage.usage.estimated
    assert usage.usage.output_tokens == 3 and usage.usage.input_tokens > 0


async def test_stream_of_empty_chunks_finishes(openai: OpenAIProvider) -> None:
    events = await collect(openai, chat("empty-chunks"))
    assert events[0] == Finish("stop") and isinstance(events[1], UsageReport)


@pytest.mark.parametrize(
    ("model", "kind", "produced"),
    [
        ("cut", ErrorKind.TRANSIENT, True),
        ("stall", ErrorKind.TRANSIENT, True),
        ("malformed", ErrorKind.TRANSIENT, True),
        ("error", ErrorKind.OVERLOADED, True),
        ("slow", ErrorKind.TRANSIENT, False),
        ("429", ErrorKind.RATE_LIMITED, False),
    ],
)
async def test_broken_streams_raise_with_partial_usage(
    openai: OpenAIProvider, model: str, kind: ErrorKind, produced: bool
) -> None:
    error = await failure(openai, chat(model), stream=True)
    assert (error.kind, error.produced) == (kind, produced)
    if model != "429":
        assert error.partial_usage is not None and error.partial_usage.estimated
    if produced:
        assert error.partial_usage is not None and error.partial_usage.output_tokens >= 2


@pytest.mark.parametrize(
    ("model", "kind", "status", "retry_after"),
    [
        ("429", ErrorKind.RATE_LIMITED, 429, 7.0),
        ("429-ms", ErrorKind.RATE_LIMITED, 429, 1.5),
        ("429-quota", ErrorKind.QUOTA, 429, None),
        ("400", ErrorKind.PERMANENT, 400, None),
        ("400-filter", ErrorKind.CONTENT_FILTER, 400, None),
        ("401", ErrorKind.AUTH, 401, None),
        ("404", ErrorKind.PERMANENT, 404, None),
        ("500", ErrorKind.TRANSIENT, 500, None),
        ("503-overloaded", ErrorKind.OVERLOADED, 503, None),
        ("529", ErrorKind.OVERLOADED, 529, None),
        ("slow", ErrorKind.TRANSIENT, None, None),
        ("malformed-json", ErrorKind.TRANSIENT, None, None),
        ("not-object", ErrorKind.TRANSIENT, None, None),
        ("no-choices", ErrorKind.TRANSIENT, None, None),
    ],
)
async def test_whole_answer_errors_are_classified(
    openai: OpenAIProvider,
    model: str,
    kind: ErrorKind,
    status: int | None,
    retry_after: float | None,
) -> None:
    error = await failure(openai, chat(model), stream=False)
    assert (error.kind, error.status, error.retry_after) == (kind, status, retry_after)
    assert error.provider == "openai" and "sk-test-secret" not in repr(error) + str(error)


async def test_embeddings_are_ordered_floats(openai: OpenAIProvider, upstream: Upstream) -> None:
    response = await openai.embed(
        EmbeddingRequest(model="emb", inputs=["a", "b", "c"], params={"dimensions": 2, "fake_x": 1})
    )
    assert response.vectors == [[0.0, 0.5], [1.0, 0.5], [2.0, 0.5]]
    assert response.usage.input_tokens == 5
    assert upstream.last().body == {
        "model": "emb",
        "input": ["a", "b", "c"],
        "encoding_format": "float",
        "dimensions": 2,
    }


@pytest.mark.parametrize("model", ["short", "garbled"])
async def test_malformed_embeddings_are_transient(openai: OpenAIProvider, model: str) -> None:
    with pytest.raises(ProviderError) as caught:
        await openai.embed(EmbeddingRequest(model=model, inputs=["a", "b"]))
    assert caught.value.kind is ErrorKind.TRANSIENT


async def test_list_models(openai: OpenAIProvider) -> None:
    assert await openai.list_models() == ["gpt-a", "gpt-b"]


async def test_unreachable_upstream_is_transient() -> None:
    provider = OpenAIProvider(base_url="http://127.0.0.1:9/v1")  # discard port: refused
    try:
        for call in (provider.list_models(), provider.chat(chat("ok"))):
            with pytest.raises(ProviderError) as caught:
                await call
            assert caught.value.kind is ErrorKind.TRANSIENT
        with pytest.raises(ProviderError):
            await collect(provider, chat("ok"))
    finally:
        await provider.aclose()


async def test_azure_key_header_and_repr_hides_the_key(upstream: Upstream) -> None:
    provider = OpenAIProvider(
        api_key="azure-secret", base_url=upstream.openai_url, api_key_header="api-key"
    )
    try:
        await provider.list_models()
        assert upstream.last().headers["api-key"] == "azure-secret"
        assert "authorization" not in upstream.last().headers
        assert "azure-secret" not in repr(provider)
    finally:
        await provider.aclose()

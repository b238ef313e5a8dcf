"""The Anthropic provider against the scripted loopback upstream, and its translations."""

from __future__ import annotations

import pytest

from ai.errors import ErrorKind, ProviderError
from ai.providers import AnthropicProvider
from ai.providers.anthropic import translate_messages, translate_params
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


def chat(model: str, **params: object) -> ChatRequest:
    return ChatRequest(model=model, messages=MESSAGES, params=dict(params))


async def collect(provider: AnthropicProvider, request: ChatRequest) -> list[StreamEvent]:
    return [event async for event in provider.stream_chat(request)]


async def test_whole_answer_counts_cached_tokens_as_input(
    anthropic: AnthropicProvider, upstream: Upstream
) -> None:
    response = await anthropic.chat(chat("ok", temperature=0.2, stop="END", seed=3))
    assert (response.content, response.finish_reason, response.id) == (
        "Hello world",
        "stop",
        "msg_1",
    )
    assert response.usage == Usage(input_tokens=15, output_tokens=3, cached_input_tokens=5)
    sent = upstream.last()
    assert sent.headers["x-api-key"] == "sk-ant-secret"
    assert sent.headers["anthropic-version"] == "2023-06-01"
    assert sent.body == {
        "model": "ok",
        "system": "be brief",
        "messages": [{"role": "user", "content": [{"type": "text", "text": "hi there"}]}],
        "max_tokens": 1024,
        "temperature": 0.2,
        "stop_sequences": ["END"],
    }


async def test_whole_answer_with_tool_use(anthropic: AnthropicProvider) -> None:
    response = await anthropic.chat(chat("tools", max_completion_tokens=50))
    assert response.finish_reason == "tool_calls"
    assert response.tool_calls == [
        {"id": "tu1", "type": "function", "function": {"name": "f", "arguments": '{"x": 1}'}}
    ]


async def test_stream_events_and_usage(anthropic: AnthropicProvider, upstream: Upstream) -> None:
    events = await collect(anthropic, chat("ok"))
    usage = Usage(input_tokens=17, output_tokens=3, cached_input_tokens=5, cache_write_tokens=2)
    assert events == [TextDelta("Hello"), TextDelta(" world"), Finish("length"), UsageReport(usage)]
    assert upstream.last().body["stream"] is True


async def test_stream_without_usage_estimates_it(anthropic: AnthropicProvider) -> None:
    events = await collect(anthropic, chat("no-usage"))
    assert events[-2] == Finish("stop")
    report = events[-1]
    assert isinstance(report, UsageReport) and report.usage.estimated


@pytest.mark.parametrize(
    ("model", "kind"),
    [
        ("cut", ErrorKind.TRANSIENT),
        ("stall", ErrorKind.TRANSIENT),
        ("error", ErrorKind.OVERLOADED),
    ],
)
async def test_broken_streams_keep_the_known_input_usage(
    anthropic: AnthropicProvider, model: str, kind: ErrorKind
) -> None:
    with pytest.raises(ProviderError) as caught:
        await collect(anthropic, chat(model))
    error = caught.value
    assert (error.kind, error.produced) == (kind, True)
    assert error.partial_usage is not None
    assert error.partial_usage.input_tokens == 17 and error.partial_usage.estimated


async def test_malformed_stream_event_is_transient(anthropic: AnthropicProvider) -> None:
    with pytest.raises(ProviderError) as caught:
        await collect(anthropic, chat("malformed"))
    assert caught.value.kind is ErrorKind.TRANSIENT and not caught.value.produced


@pytest.mark.parametrize(
    ("model", "kind", "status"),
    [
        ("429", ErrorKind.RATE_LIMITED, 429),
        ("400", ErrorKind.PERMANENT, 400),
        ("401", ErrorKind.AUTH, 401),
        ("500", ErrorKind.TRANSIENT, 500),
        ("529", ErrorKind.OVERLOADED, 529),
        ("slow", ErrorKind.TRANSIENT, None),
        ("malformed-json", ErrorKind.TRANSIENT, None),
        ("no-content", ErrorKind.TRANSIENT, None),
    ],
)
async def test_errors_are_classified(
    anthropic: AnthropicProvider, model: str, kind: ErrorKind, status: int | None
) -> None:
    for stream in (False, True):
        with pytest.raises(ProviderError) as caught:
            if stream:
                await collect(anthropic, chat(model))
            else:
                await anthropic.chat(chat(model))
        if not (stream and model == "no-content"):
            assert (caught.value.kind, caught.value.status) == (kind, status)


async def test_embeddings_are_refused_and_models_paginate(anthropic: AnthropicProvider) -> None:
    with pytest.raises(ProviderError) as caught:
        await anthropic.embed(EmbeddingRequest(model="m", inputs=["a"]))
    assert caught.value.kind is ErrorKind.PERMANENT
    assert await anthropic.list_models() == ["claude-a", "claude-b"]
    assert "sk-ant-secret" not in repr(anthropic)


async def test_unreachable_upstream_is_transient() -> None:
    provider = AnthropicProvider(api_key="k", base_url="http://127.0.0.1:9")
    try:
        with pytest.raises(ProviderError) as caught:
            await provider.chat(chat("ok"))
        assert caught.value.kind is ErrorKind.TRANSIENT
        with pytest.raises(ProviderError):
            await collect(provider, chat("ok"))
    finally:
        await provider.aclose()


def test_messages_translation_covers_tools_images_and_roles() -> None:
    system, messages = translate_messages(
        [
            {"role": "system", "content": "a"},
            {"role": "developer", "content": [{"type": "text", "text": "b"}]},
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "look"},
                    {"type": "image_url", "image_url": {"url": "https://x/i.png"}},
                    "junk",
                ],
            },
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {"id": "c1", "function": {"name": "f", "arguments": '{"q": 1}'}},
                    {"id": "c2", "function": {"name": "g", "arguments": "not json"}},
                ],
            },
            {"role": "tool", "tool_call_id": "c1", "content": "42"},
        ]
    )
    assert system == "a\n\nb"
    assert messages[0]["content"][1] == {
        "type": "image",
        "source": {"type": "url", "url": "https://x/i.png"},
    }
    assert messages[1] == {
        "role": "assistant",
        "content": [
            {"type": "tool_use", "id": "c1", "name": "f", "input": {"q": 1}},
            {"type": "tool_use", "id": "c2", "name": "g", "input": {}},
        ],
    }
    assert messages[2]["content"] == [{"type": "tool_result", "tool_use_id": "c1", "content": "42"}]


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        ("auto", {"type": "auto"}),
        ("required", {"type": "any"}),
        ("none", {"type": "none"}),
        ({"type": "function", "function": {"name": "f"}}, {"type": "tool", "name": "f"}),
    ],
)
def test_params_translation(choice: object, expected: dict[str, str]) -> None:
    tool = {"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}
    body = translate_params(
        {
            "max_tokens": 10,
            "stop": ["x", "y"],
            "tools": [tool],
            "tool_choice": choice,
            "user": "u1",
            "top_k": 3,
            "presence_penalty": 1,
            "fake_fail": "auth",
        }
    )
    assert body == {
        "top_k": 3,
        "max_tokens": 10,
        "stop_sequences": ["x", "y"],
        "tools": [{"name": "f", "description": "", "input_schema": {"type": "object"}}],
        "tool_choice": expected,
        "metadata": {"user_id": "u1"},
    }

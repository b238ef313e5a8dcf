"""The values that cross the provider interface: requests, answers, stream events, usage.

Messages and generation parameters use OpenAI's chat shapes (the lingua franca); each
provider translates them to and from its own wire format. Upstream model names are
resolved before a provider is called: `ChatRequest.model` is what the upstream sees.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

JSON = dict[str, Any]

# Parameters Taproot reads itself and never sends upstream, besides the fake provider's
# `fake_*` knobs: `cache` switches the response cache on or off for one call.
TAPROOT_CONTROL_PARAMS = frozenset({"cache"})


def is_taproot_param(name: str) -> bool:
    """Whether a parameter is Taproot's own (not a generation parameter for the upstream)."""
    return name.startswith("fake_") or name in TAPROOT_CONTROL_PARAMS


def upstream_params(params: JSON) -> JSON:
    """`params` without Taproot's own parameters: what a real provider may send upstream."""
    return {k: v for k, v in params.items() if not is_taproot_param(k)}


@dataclass(frozen=True)
class Usage:
    """Token counts of one call. `input_tokens` includes cached and cache-write tokens."""

    input_tokens: int = 0
    output_tokens: int = 0
    cached_input_tokens: int = 0
    cache_write_tokens: int = 0
    reasoning_tokens: int = 0
    estimated: bool = False  # counted by Taproot (stream cut short), not reported upstream

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens


@dataclass(frozen=True)
class ChatRequest:
    """One chat completion call.

    `messages`: OpenAI chat messages ({"role", "content", ...}); a system prompt is a
    message with role "system". `params`: every other generation parameter as OpenAI names
    it (temperature, top_p, max_tokens, max_completion_tokens, stop, seed, tools,
    tool_choice, response_format, ...), plus the fake provider's `fake_*` parameters.
    """

    model: str
    messages: list[JSON]
    params: JSON = field(default_factory=dict)
    # Which attempt this is (1 = first): a job's attempt number, or the sidecar's retry
    # count. The fake provider's fake_fail_times counts against it.
    attempt: int = 1


@dataclass(frozen=True)
class ChatResponse:
    id: str
    model: str
    content: str
    finish_reason: str  # OpenAI's vocabulary: stop, length, tool_calls, content_filter
    usage: Usage
    provider: str
    tool_calls: list[JSON] | None = None


@dataclass(frozen=True)
class TextDelta:
    text: str
    type: Literal["text"] = "text"


@dataclass(frozen=True)
class Finish:
    reason: str  # as ChatResponse.finish_reason
    type: Literal["finish"] = "finish"


@dataclass(frozen=True)
class UsageReport:
    usage: Usage
    type: Literal["usage"] = "usage"


# A stream yields text deltas, then one Finish, then one UsageReport (always: providers
# ask their upstream for streamed usage, or estimate it and say so).
StreamEvent = TextDelta | Finish | UsageReport


@dataclass(frozen=True)
class EmbeddingRequest:
    model: str
    inputs: list[str]
    params: JSON = field(default_factory=dict)  # dimensions, user, fake_* ...
    attempt: int = 1


@dataclass(frozen=True)
class EmbeddingResponse:
    model: str
    vectors: list[list[float]]
    usage: Usage
    provider: str


class Provider(Protocol):
    """What the sidecar and the workers call. Implementations: fake, openai, anthropic.

    Every method raises only `ai.errors.ProviderError`. One instance per credential and
    process; it owns one HTTP client (explicit timeouts and limits) reused for every call.
    """

    name: str  # the implementation: "fake", "openai" or "anthropic"

    async def chat(self, request: ChatRequest) -> ChatResponse: ...

    def stream_chat(self, request: ChatRequest) -> AsyncIterator[StreamEvent]: ...

    async def embed(self, request: EmbeddingRequest) -> EmbeddingResponse: ...

    async def list_models(self) -> list[str]: ...

    async def aclose(self) -> None: ...

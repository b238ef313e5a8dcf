"""The fake provider: deterministic, offline answers, failures and latency on request.

It is the default when no upstream is configured, and what tests and benchmarks run
against. Every answer says it is fake: `provider="fake"`, content starting "[fake] ",
ids starting "fake-". The same request always gives the same answer and usage.

Knobs, all read from `request.params` (a public interface: keep the names):
  fake_latency_ms           sleep before the answer (or before the first chunk); default 0
  fake_stream_interval_ms   sleep between streamed chunks; default 0
  fake_fail                 transient | rate_limited | overloaded | permanent | auth |
                            content_filter | quota: raise that ProviderError kind
  fake_retry_after          seconds carried by rate_limited (and overloaded); default 1.0
  fake_fail_after_chunks    cut a stream after N chunks: TRANSIENT with produced=True
  fake_fail_times           fail only while request.attempt <= N; default: always
  fake_output               answer exactly this text
  fake_output_tokens        answer about this many tokens (benchmarks)
  max_tokens / max_completion_tokens  cut the answer there, finish_reason "length"
Embeddings: unit vectors from a hash of each input, `dimensions` long (default 16).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import math
import re
from collections.abc import AsyncIterator
from typing import Any

from ai.errors import HTTP_STATUS, ErrorKind, ProviderError
from ai.tokens import CHARS_PER_TOKEN, content_text, count_message_tokens, count_tokens
from ai.types import (
    JSON,
    ChatRequest,
    ChatResponse,
    EmbeddingRequest,
    EmbeddingResponse,
    Finish,
    StreamEvent,
    TextDelta,
    Usage,
    UsageReport,
)

PROVIDER = "fake"
MODELS = ["fake-chat", "fake-chat-large", "fake-embed"]
ECHO_CHARS = 60
_WORDS = ("lorem", "ipsum", "dolor", "sit", "amet", "fake", "token", "text")
_CHUNK = re.compile(r"\S+\s*|\s+")


def _number(params: JSON, name: str, default: float) -> float:
    value = params.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ProviderError(
            ErrorKind.PERMANENT, f"{name} must be a non-negative number", provider=PROVIDER
        )
    return float(value)


def _digest(value: Any) -> str:
    canonical = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _last_user_text(messages: list[JSON]) -> str:
    for message in reversed(messages):
        if message.get("role") == "user":
            return " ".join(content_text(message.get("content")).split())
    return ""


def _filler(tokens: int, seed: str) -> str:
    """About `tokens` tokens of words: each word plus its space is four characters."""
    start = int(seed[:8], 16)
    words = [_WORDS[(start + i) % len(_WORDS)][:3] for i in range(max(tokens, 1))]
    return " ".join(words)


def _answer(request: ChatRequest, digest: str) -> str:
    params = request.params
    if isinstance(params.get("fake_output"), str):
        return str(params["fake_output"])
    if "fake_output_tokens" in params:
        tokens = int(_number(params, "fake_output_tokens", 0))
        return "[fake] " + _filler(tokens - 2, digest)  # "[fake] " is about two tokens
    echo = _last_user_text(request.messages)
    if len(echo) > ECHO_CHARS:
        echo = echo[: ECHO_CHARS - 1] + "…"
    return f"[fake] {echo} #{digest[:8]}" if echo else f"[fake] #{digest[:8]}"


def _limit(text: str, params: JSON) -> tuple[str, str]:
    """The answer cut at max_tokens, and the finish reason that says whether it was."""
    limit = params.get("max_completion_tokens", params.get("max_tokens"))
    if isinstance(limit, int) and not isinstance(limit, bool) and count_tokens(text) > limit:
        return text[: max(limit, 0) * CHARS_PER_TOKEN], "length"
    return text, "stop"


def _failure(params: JSON, attempt: int) -> ProviderError | None:
    """The error `fake_fail` asks for on this attempt, if any."""
    kind_name = params.get("fake_fail")
    if kind_name is None or not _failing(params, attempt):
        return None
    try:
        kind = ErrorKind(kind_name)
    except ValueError:
        return ProviderError(
            ErrorKind.PERMANENT, f"unknown fake_fail {kind_name!r}", provider=PROVIDER
        )
    retry_after = None
    if kind in (ErrorKind.RATE_LIMITED, ErrorKind.OVERLOADED):
        retry_after = _number(params, "fake_retry_after", 1.0)
    return ProviderError(
        kind,
        f"fake {kind.value} failure (attempt {attempt})",
        provider=PROVIDER,
        status=HTTP_STATUS[kind] if kind is not ErrorKind.TRANSIENT else 500,
        retry_after=retry_after,
    )


def _failing(params: JSON, attempt: int) -> bool:
    if "fake_fail_times" not in params:
        return True
    return attempt <= _number(params, "fake_fail_times", 0)


async def _sleep_ms(millis: float) -> None:
    if millis > 0:  # skip the loop round-trip: benchmarks make hundreds of calls a second
        await asyncio.sleep(millis / 1000)


class FakeProvider:
    """Deterministic answers computed from the request; no network, no state."""

    name = PROVIDER

    def _prepare(self, request: ChatRequest) -> tuple[str, str, str, Usage]:
        digest = _digest(request.messages)
        text, finish = _limit(_answer(request, digest), request.params)
        usage = Usage(
            input_tokens=count_message_tokens(request.messages),
            output_tokens=count_tokens(text),
        )
        return f"fake-{digest[:24]}", text, finish, usage

    async def chat(self, request: ChatRequest) -> ChatResponse:
        params = request.params
        await _sleep_ms(_number(params, "fake_latency_ms", 0))
        error = _failure(params, request.attempt)
        if (
            error is None
            and "fake_fail_after_chunks" in params
            and _failing(params, request.attempt)
        ):
            error = ProviderError(
                ErrorKind.TRANSIENT, "fake connection dropped mid-answer", provider=PROVIDER
            )
        if error is not None:
            raise error
        response_id, text, finish, usage = self._prepare(request)
        return ChatResponse(
            id=response_id,
            model=request.model,
            content=text,
            finish_reason=finish,
            usage=usage,
            provider=PROVIDER,
        )

    async def stream_chat(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        params = request.params
        interval = _number(params, "fake_stream_interval_ms", 0)
        await _sleep_ms(_number(params, "fake_latency_ms", 0))
        error = _failure(params, request.attempt)
        if error is not None:
            raise error
        _, text, finish, usage = self._prepare(request)
        chunks = _CHUNK.findall(text)
        cut_after = self._cut_after(request)
        for index, chunk in enumerate(chunks[:cut_after]):
            if index:
                await _sleep_ms(interval)
            yield TextDelta(chunk)
        if cut_after is not None:  # the connection "drops" before the end of the answer
            raise self._cut(request, chunks[:cut_after])
        yield Finish(finish)
        yield UsageReport(usage)

    @staticmethod
    def _cut_after(request: ChatRequest) -> int | None:
        if "fake_fail_after_chunks" not in request.params or not _failing(
            request.params, request.attempt
        ):
            return None
        return int(_number(request.params, "fake_fail_after_chunks", 0))

    @staticmethod
    def _cut(request: ChatRequest, sent: list[str]) -> ProviderError:
        return ProviderError(
            ErrorKind.TRANSIENT,
            f"fake stream cut after {len(sent)} chunks",
            provider=PROVIDER,
            produced=bool(sent),
            partial_usage=Usage(
                input_tokens=count_message_tokens(request.messages),
                output_tokens=count_tokens("".join(sent)),
            ),
        )

    async def embed(self, request: EmbeddingRequest) -> EmbeddingResponse:
        params = request.params
        await _sleep_ms(_number(params, "fake_latency_ms", 0))
        error = _failure(params, request.attempt)
        if error is not None:
            raise error
        dimensions = int(_number(params, "dimensions", 16))
        if dimensions < 1:
            raise ProviderError(ErrorKind.PERMANENT, "dimensions must be >= 1", provider=PROVIDER)
        return EmbeddingResponse(
            model=request.model,
            vectors=[_unit_vector(text, dimensions) for text in request.inputs],
            usage=Usage(input_tokens=sum(count_tokens(text) for text in request.inputs)),
            provider=PROVIDER,
        )

    async def list_models(self) -> list[str]:
        return list(MODELS)

    async def aclose(self) -> None:
        return None

    def __repr__(self) -> str:
        return "FakeProvider()"


def _unit_vector(text: str, dimensions: int) -> list[float]:
    raw = hashlib.shake_256(text.encode()).digest(dimensions * 2)
    values = [int.from_bytes(raw[i : i + 2], "big") / 32767.5 - 1.0 for i in range(0, len(raw), 2)]
    norm = math.sqrt(sum(v * v for v in values)) or 1.0
    return [v / norm for v in values]

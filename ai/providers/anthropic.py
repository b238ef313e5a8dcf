"""The Anthropic provider: the Messages API, whole and streamed, over one reused httpx client.

Requests arrive in OpenAI's shapes (ai.types) and are translated here: system messages
become `system`, tool calls and results become content blocks, `stop` becomes
`stop_sequences`, and `max_tokens` (which Anthropic requires) defaults to 1024.
OpenAI-only parameters without an Anthropic meaning (seed, n, penalties,
response_format, logprobs) are dropped rather than sent to be rejected.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import httpx

from ai.errors import ErrorKind, ProviderError
from ai.providers._http import (
    HttpSettings,
    body_json,
    decode_object,
    http_error,
    iter_sse,
    make_client,
    malformed,
    transport_error,
    with_progress,
)
from ai.tokens import content_text, count_tokens, estimate_usage
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
    upstream_params,
)

DEFAULT_BASE_URL = "https://api.anthropic.com"
API_VERSION = "2023-06-01"
DEFAULT_MAX_TOKENS = 1024
# Parameters Anthropic takes under the same name and meaning.
_NATIVE = ("temperature", "top_p", "top_k", "metadata", "thinking", "service_tier")
STOP_REASONS = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}
# The `error.type` of an error body or stream event, by kind.
_ERROR_TYPES = {
    "overloaded_error": ErrorKind.OVERLOADED,
    "rate_limit_error": ErrorKind.RATE_LIMITED,
    "api_error": ErrorKind.TRANSIENT,
    "timeout_error": ErrorKind.TRANSIENT,
    "authentication_error": ErrorKind.AUTH,
    "permission_error": ErrorKind.AUTH,
    "billing_error": ErrorKind.QUOTA,
}


def usage_from(data: Any) -> Usage:
    """ai.types.Usage from Anthropic's, whose input_tokens exclude cache reads and writes."""
    data = data if isinstance(data, dict) else {}
    cached = int(data.get("cache_read_input_tokens") or 0)
    written = int(data.get("cache_creation_input_tokens") or 0)
    return Usage(
        input_tokens=int(data.get("input_tokens") or 0) + cached + written,
        output_tokens=int(data.get("output_tokens") or 0),
        cached_input_tokens=cached,
        cache_write_tokens=written,
    )


def _content_blocks(content: Any) -> list[JSON]:
    """OpenAI content (string or parts) as Anthropic content blocks."""
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    blocks: list[JSON] = []
    for part in content if isinstance(content, list) else []:
        if not isinstance(part, dict):
            continue
        if part.get("type") == "image_url":
            url = (part.get("image_url") or {}).get("url", "")
            blocks.append({"type": "image", "source": {"type": "url", "url": url}})
        elif "text" in part:
            blocks.append({"type": "text", "text": str(part["text"])})
    return blocks


def _tool_use(call: JSON) -> JSON:
    function = call.get("function") or {}
    try:
        arguments = json.loads(function.get("arguments") or "{}")
    except ValueError:
        arguments = {}
    return {
        "type": "tool_use",
        "id": call.get("id"),
        "name": function.get("name"),
        "input": arguments,
    }


def translate_messages(messages: list[JSON]) -> tuple[str, list[JSON]]:
    """(system, messages) for the Messages API from OpenAI chat messages."""
    system: list[str] = []
    out: list[JSON] = []
    for message in messages:
        role = message.get("role")
        if role in ("system", "developer"):
            system.append(content_text(message.get("content")))
        elif role == "tool":
            result = {
                "type": "tool_result",
                "tool_use_id": message.get("tool_call_id"),
                "content": content_text(message.get("content")),
            }
            out.append({"role": "user", "content": [result]})
        else:
            blocks = _content_blocks(message.get("content") or "")
            if role == "assistant":
                blocks = [b for b in blocks if b.get("text") != ""]
                blocks += [_tool_use(call) for call in message.get("tool_calls") or []]
            out.append({"role": "assistant" if role == "assistant" else "user", "content": blocks})
    return "\n\n".join(system), out


def _tool_choice(choice: Any) -> JSON | None:
    if choice == "auto":
        return {"type": "auto"}
    if choice == "required":
        return {"type": "any"}
    if choice == "none":
        return {"type": "none"}
    if isinstance(choice, dict) and "function" in choice:
        return {"type": "tool", "name": choice["function"].get("name")}
    return None


def translate_params(params: JSON) -> JSON:
    """The Messages API body fields for OpenAI-named generation parameters."""
    params = upstream_params(params)
    body: JSON = {k: params[k] for k in _NATIVE if k in params}
    body["max_tokens"] = params.get(
        "max_completion_tokens", params.get("max_tokens", DEFAULT_MAX_TOKENS)
    )
    stop = params.get("stop", params.get("stop_sequences"))
    if stop:
        body["stop_sequences"] = [stop] if isinstance(stop, str) else list(stop)
    if params.get("tools"):
        body["tools"] = [
            {
                "name": f.get("name"),
                "description": f.get("description", ""),
                "input_schema": f.get("parameters") or {"type": "object", "properties": {}},
            }
            for f in (tool.get("function") or {} for tool in params["tools"])
        ]
    choice = _tool_choice(params.get("tool_choice"))
    if choice is not None:
        body["tool_choice"] = choice
    if "user" in params and "metadata" not in body:
        body["metadata"] = {"user_id": str(params["user"])}
    return body


def error_fields(body: Any) -> tuple[str, str]:
    """(error type, message) of an Anthropic error body or error event."""
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        return str(error.get("type") or ""), str(error.get("message") or "")
    return "", ""


class AnthropicProvider:
    """One Anthropic endpoint and key; the key is never shown in reprs or errors."""

    name = "anthropic"

    def __init__(
        self,
        *,
        api_key: str | None,
        base_url: str = DEFAULT_BASE_URL,
        settings: HttpSettings | None = None,
    ) -> None:
        self._settings = settings or HttpSettings()
        self.base_url = base_url
        headers = {"content-type": "application/json", "anthropic-version": API_VERSION}
        if api_key:
            headers["x-api-key"] = api_key
        self._client = make_client(base_url, headers, self._settings)

    def __repr__(self) -> str:
        return f"AnthropicProvider(base_url={self.base_url!r})"

    def _body(self, request: ChatRequest) -> JSON:
        system, messages = translate_messages(request.messages)
        body: JSON = {
            "model": request.model,
            "messages": messages,
            **translate_params(request.params),
        }
        if system:
            body["system"] = system
        return body

    def _error(self, response: httpx.Response) -> ProviderError:
        code, message = error_fields(body_json(response))
        return http_error(response, self.name, code, message)

    async def _send(self, method: str, path: str, body: JSON | None = None) -> JSON:
        try:
            response = await self._client.request(method, path, json=body)
        except httpx.HTTPError as exc:
            raise transport_error(exc, self.name) from exc
        if response.is_error:
            raise self._error(response)
        return decode_object(response.content, self.name, "JSON")

    async def chat(self, request: ChatRequest) -> ChatResponse:
        data = await self._send("POST", "v1/messages", self._body(request))
        blocks = data.get("content")
        if not isinstance(blocks, list):
            raise malformed(self.name, "message (no content)")
        text = "".join(str(b.get("text", "")) for b in blocks if b.get("type") == "text")
        calls = [
            {
                "id": b.get("id"),
                "type": "function",
                "function": {"name": b.get("name"), "arguments": json.dumps(b.get("input") or {})},
            }
            for b in blocks
            if b.get("type") == "tool_use"
        ]
        return ChatResponse(
            id=str(data.get("id") or ""),
            model=str(data.get("model") or request.model),
            content=text,
            finish_reason=STOP_REASONS.get(str(data.get("stop_reason")), "stop"),
            usage=usage_from(data.get("usage")),
            provider=self.name,
            tool_calls=calls or None,
        )

    async def stream_chat(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        state = _StreamState(request.messages)
        try:
            async with self._client.stream(
                "POST", "v1/messages", json={**self._body(request), "stream": True}
            ) as response:
                if response.is_error:
                    await response.aread()
                    raise self._error(response)
                async for event in iter_sse(
                    response, stall=self._settings.stream_stall, provider=self.name
                ):
                    text = state.take(decode_object(event.data, self.name, "stream event"))
                    if text:
                        yield TextDelta(text)
                    if state.stopped:
                        break
        except httpx.HTTPError as exc:
            raise with_progress(transport_error(exc, self.name), **state.progress()) from exc
        except ProviderError as exc:
            raise with_progress(exc, **state.progress()) from None
        if not state.stopped:
            error = ProviderError(
                ErrorKind.TRANSIENT, "anthropic stream ended early", provider=self.name
            )
            raise with_progress(error, **state.progress())
        yield Finish(state.finish_reason)
        yield UsageReport(state.usage())

    async def embed(self, request: EmbeddingRequest) -> EmbeddingResponse:
        raise ProviderError(
            ErrorKind.PERMANENT, "anthropic has no embeddings API", provider=self.name
        )

    async def list_models(self) -> list[str]:
        models: list[str] = []
        after: str | None = None
        while True:  # paginated by after_id
            query = f"v1/models?limit=1000&after_id={after}" if after else "v1/models?limit=1000"
            data = await self._send("GET", query)
            items = data.get("data")
            if not isinstance(items, list):
                raise malformed(self.name, "model list")
            models += [str(m["id"]) for m in items if isinstance(m, dict) and "id" in m]
            after = data.get("last_id")
            if not data.get("has_more") or not after:
                return models

    async def aclose(self) -> None:
        await self._client.aclose()


class _StreamState:
    """What a Messages stream has said so far."""

    def __init__(self, messages: list[JSON]) -> None:
        self.messages = messages
        self.parts: list[str] = []
        self.start_usage: JSON = {}
        self.output_tokens: int | None = None
        self.finish_reason = "stop"
        self.stopped = False

    def take(self, event: JSON) -> str:
        """Record one event; return its text."""
        kind = event.get("type")
        if kind == "message_start":
            self.start_usage = dict((event.get("message") or {}).get("usage") or {})
        elif kind == "content_block_delta":
            delta = event.get("delta") or {}
            if delta.get("type") == "text_delta":
                self.parts.append(str(delta.get("text", "")))
                return self.parts[-1]
        elif kind == "message_delta":
            self._delta(event)
        elif kind == "message_stop":
            self.stopped = True
        elif kind == "error":
            code, message = error_fields(event)
            error_kind = _ERROR_TYPES.get(code, ErrorKind.PERMANENT)
            raise ProviderError(
                error_kind, f"anthropic stream error {code}: {message}", provider="anthropic"
            )
        return ""

    def _delta(self, event: JSON) -> None:
        reason = (event.get("delta") or {}).get("stop_reason")
        if reason:
            self.finish_reason = STOP_REASONS.get(str(reason), "stop")
        usage = event.get("usage") or {}
        if "output_tokens" in usage:
            self.output_tokens = int(usage["output_tokens"] or 0)
        # Newer API versions repeat (final) input counts here; they win over message_start's.
        for key in ("input_tokens", "cache_read_input_tokens", "cache_creation_input_tokens"):
            if usage.get(key) is not None:
                self.start_usage[key] = usage[key]

    def usage(self) -> Usage:
        text = "".join(self.parts)
        if not self.start_usage:
            return estimate_usage(self.messages, text)
        if self.output_tokens is None:  # cut before message_delta: input is known, not output
            known = usage_from(self.start_usage)
            return replace(known, output_tokens=count_tokens(text), estimated=True)
        return usage_from({**self.start_usage, "output_tokens": self.output_tokens})

    def progress(self) -> dict[str, Any]:
        return {"produced": bool(self.parts), "usage": self.usage()}

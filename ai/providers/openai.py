"""The OpenAI-compatible provider: OpenAI, Azure OpenAI (v1 API), vLLM, Ollama, llama.cpp.

Chat completions whole and streamed, embeddings and the model list over one reused
httpx client. Streams always ask for `stream_options.include_usage`, so usage is exact
when the upstream honours it and estimated (and marked so) when it does not.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
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
from ai.tokens import estimate_usage
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

DEFAULT_BASE_URL = "https://api.openai.com/v1"
# Set by the provider itself; a caller's value would break the stream parser.
_OWN_PARAMS = frozenset({"model", "messages", "stream", "stream_options"})


def usage_from(data: Any) -> Usage | None:
    """ai.types.Usage from OpenAI's usage object (None when absent)."""
    if not isinstance(data, dict):
        return None
    prompt_details = data.get("prompt_tokens_details") or {}
    completion_details = data.get("completion_tokens_details") or {}
    return Usage(
        input_tokens=int(data.get("prompt_tokens") or 0),
        output_tokens=int(data.get("completion_tokens") or 0),
        cached_input_tokens=int(prompt_details.get("cached_tokens") or 0),
        reasoning_tokens=int(completion_details.get("reasoning_tokens") or 0),
    )


def error_fields(body: Any) -> tuple[str, str]:
    """(code, message) of an OpenAI error body; code falls back to the error type."""
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        code = error.get("code") or error.get("type") or ""
        return str(code), str(error.get("message") or "")
    if isinstance(error, str):  # some compatible servers (Ollama) send a bare string
        return "", error
    return "", ""


class OpenAIProvider:
    """One OpenAI-compatible endpoint and key; the key is never shown in reprs or errors."""

    name = "openai"

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str = DEFAULT_BASE_URL,
        settings: HttpSettings | None = None,
        api_key_header: str = "authorization",
    ) -> None:
        self._settings = settings or HttpSettings()
        self.base_url = base_url
        headers = {"content-type": "application/json"}
        if api_key:
            # Azure OpenAI takes its key in `api-key`; everyone else wants a bearer token.
            scheme = "Bearer " if api_key_header.lower() == "authorization" else ""
            headers[api_key_header] = scheme + api_key
        self._client = make_client(base_url, headers, self._settings)

    def __repr__(self) -> str:
        return f"OpenAIProvider(base_url={self.base_url!r})"

    def _body(self, request: ChatRequest) -> JSON:
        params = {k: v for k, v in upstream_params(request.params).items() if k not in _OWN_PARAMS}
        return {"model": request.model, "messages": request.messages, **params}

    def _error(self, response: httpx.Response) -> ProviderError:
        code, message = error_fields(body_json(response))
        return http_error(response, self.name, code, message)

    async def _post(self, path: str, body: JSON) -> JSON:
        try:
            response = await self._client.post(path, json=body)
        except httpx.HTTPError as exc:
            raise transport_error(exc, self.name) from exc
        if response.is_error:
            raise self._error(response)
        return decode_object(response.content, self.name, "JSON")

    async def chat(self, request: ChatRequest) -> ChatResponse:
        data = await self._post("chat/completions", self._body(request))
        choices = data.get("choices")
        if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
            raise malformed(self.name, "completion (no choices)")
        message = choices[0].get("message") or {}
        content = message.get("content") or ""
        return ChatResponse(
            id=str(data.get("id") or ""),
            model=str(data.get("model") or request.model),
            content=content,
            finish_reason=str(choices[0].get("finish_reason") or "stop"),
            usage=usage_from(data.get("usage")) or estimate_usage(request.messages, content),
            provider=self.name,
            tool_calls=message.get("tool_calls") or None,
        )

    async def stream_chat(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        body = {**self._body(request), "stream": True, "stream_options": {"include_usage": True}}
        state = _StreamState(request.messages)
        try:
            async with self._client.stream("POST", "chat/completions", json=body) as response:
                if response.is_error:
                    await response.aread()
                    raise self._error(response)
                async for event in iter_sse(
                    response, stall=self._settings.stream_stall, provider=self.name
                ):
                    if event.data.strip() == "[DONE]":
                        state.done = True
                        break
                    text = state.take(decode_object(event.data, self.name, "stream chunk"))
                    if text:
                        yield TextDelta(text)
        except httpx.HTTPError as exc:
            raise with_progress(transport_error(exc, self.name), **state.progress()) from exc
        except ProviderError as exc:
            raise with_progress(exc, **state.progress()) from None
        if not state.complete:
            error = ProviderError(
                ErrorKind.TRANSIENT, "openai stream ended early", provider="openai"
            )
            raise with_progress(error, **state.progress())
        yield Finish(state.finish_reason or "stop")
        yield UsageReport(state.usage or estimate_usage(request.messages, state.text()))

    async def embed(self, request: EmbeddingRequest) -> EmbeddingResponse:
        body = {
            **upstream_params(request.params),
            "model": request.model,
            "input": request.inputs,
            "encoding_format": "float",
        }
        data = await self._post("embeddings", body)
        items = data.get("data")
        if not isinstance(items, list) or len(items) != len(request.inputs):
            raise malformed(self.name, "embeddings (wrong number of vectors)")
        try:
            ordered = sorted(items, key=lambda item: int(item.get("index", 0)))
            vectors = [[float(x) for x in item["embedding"]] for item in ordered]
        except (AttributeError, KeyError, TypeError, ValueError):
            raise malformed(self.name, "embeddings") from None
        usage = data.get("usage") or {}
        return EmbeddingResponse(
            model=str(data.get("model") or request.model),
            vectors=vectors,
            usage=Usage(input_tokens=int(usage.get("prompt_tokens") or 0)),
            provider=self.name,
        )

    async def list_models(self) -> list[str]:
        try:
            response = await self._client.get("models")
        except httpx.HTTPError as exc:
            raise transport_error(exc, self.name) from exc
        if response.is_error:
            raise self._error(response)
        data = decode_object(response.content, self.name, "model list").get("data")
        if not isinstance(data, list):
            raise malformed(self.name, "model list")
        return [str(item["id"]) for item in data if isinstance(item, dict) and "id" in item]

    async def aclose(self) -> None:
        await self._client.aclose()


class _StreamState:
    """What a stream has said so far: text, finish reason, usage."""

    def __init__(self, messages: list[JSON]) -> None:
        self.messages = messages
        self.parts: list[str] = []
        self.finish_reason: str | None = None
        self.usage: Usage | None = None
        self.done = False

    @property
    def complete(self) -> bool:
        # A finish reason means the answer is whole, even if [DONE] never came.
        return self.done or self.finish_reason is not None

    def text(self) -> str:
        return "".join(self.parts)

    def take(self, chunk: Mapping[str, Any]) -> str:
        """Record one chunk; return its text."""
        if "error" in chunk:  # vLLM and proxies report mid-stream failures this way
            code, message = error_fields(chunk)
            kind = ErrorKind.OVERLOADED if "overload" in code.lower() else ErrorKind.TRANSIENT
            raise ProviderError(kind, f"openai stream error: {message or code}", provider="openai")
        self.usage = usage_from(chunk.get("usage")) or self.usage
        choices = chunk.get("choices") or []
        if not choices or not isinstance(choices[0], dict):
            return ""
        self.finish_reason = choices[0].get("finish_reason") or self.finish_reason
        text = (choices[0].get("delta") or {}).get("content") or ""
        if text:
            self.parts.append(text)
        return str(text)

    def progress(self) -> dict[str, Any]:
        usage = self.usage or estimate_usage(self.messages, self.text())
        return {"produced": bool(self.parts), "usage": usage}

"""OpenAI's wire format: chat completion and embedding requests in, answers and SSE out.

Requests keep every generation parameter the client sent (including the fake provider's
`fake_*` extra fields) as `params`; answers follow OpenAI's documented shapes so the
official SDK parses them unchanged.
"""

from __future__ import annotations

import base64
import json
import struct
import time
from collections.abc import Iterator
from typing import Any

from ai.errors import ProviderError
from ai.types import JSON, ChatResponse, EmbeddingResponse, Finish, TextDelta, Usage
from sidecar.chat import LiveStream
from sidecar.errors import bad_request, from_provider

# Fields that shape the exchange rather than the generation.
_ENVELOPE = frozenset({"model", "messages", "stream", "stream_options", "n"})


def chat_request(body: Any) -> tuple[str, list[JSON], JSON, bool, bool]:
    """(model, messages, params, stream, include_usage) of a chat completion request."""
    if not isinstance(body, dict):
        raise bad_request("The request body must be a JSON object")
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise bad_request("'model' is required (a string)", param="model")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise bad_request("'messages' is required (a non-empty array)", param="messages")
    for index, message in enumerate(messages):
        if not isinstance(message, dict) or not isinstance(message.get("role"), str):
            raise bad_request(
                f"messages[{index}] must be an object with a 'role'", param=f"messages.{index}"
            )
    if body.get("n", 1) != 1:
        raise bad_request("Only n=1 is supported", param="n")
    options = body.get("stream_options") or {}
    if not isinstance(options, dict):
        raise bad_request("'stream_options' must be an object", param="stream_options")
    params = {k: v for k, v in body.items() if k not in _ENVELOPE}
    return model, messages, params, bool(body.get("stream")), bool(options.get("include_usage"))


def usage(value: Usage) -> JSON:
    return {
        "prompt_tokens": value.input_tokens,
        "completion_tokens": value.output_tokens,
        "total_tokens": value.total_tokens,
        "prompt_tokens_details": {"cached_tokens": value.cached_input_tokens},
        "completion_tokens_details": {"reasoning_tokens": value.reasoning_tokens},
    }


def completion(response: ChatResponse, model: str) -> JSON:
    message: JSON = {"role": "assistant", "content": response.content, "refusal": None}
    if response.tool_calls:
        message["tool_calls"] = response.tool_calls
    return {
        "id": response.id,
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": message,
                "finish_reason": response.finish_reason,
                "logprobs": None,
            }
        ],
        "usage": usage(response.usage),
        "system_fingerprint": None,
    }


def sse(live: LiveStream, model: str, include_usage: bool) -> Iterator[bytes]:
    """`data: {chunk}` events ending in `data: [DONE]`; errors after the first byte in-band."""
    created = int(time.time())
    extra: JSON = {"usage": None} if include_usage else {}

    def chunk(delta: JSON, finish: str | None = None) -> bytes:
        body = {
            "id": live.response_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}],
            **extra,
        }
        return _event(body)

    try:
        yield chunk({"role": "assistant", "content": ""})
        reported: Usage | None = None
        try:
            for event in live.events():
                if isinstance(event, TextDelta):
                    if event.text:
                        yield chunk({"content": event.text})
                elif isinstance(event, Finish):
                    yield chunk({}, event.reason)
                else:
                    reported = event.usage
        except Exception as exc:
            live.close()  # billed before the client hears the end, so it can read the bill
            yield _event(_stream_error(exc))
        else:
            live.close()
            if include_usage and reported is not None:
                yield _event(
                    {
                        "id": live.response_id,
                        "object": "chat.completion.chunk",
                        "created": created,
                        "model": model,
                        "choices": [],
                        "usage": usage(reported),
                    }
                )
        yield b"data: [DONE]\n\n"
    finally:
        live.close()


def _stream_error(exc: Exception) -> JSON:
    if isinstance(exc, ProviderError):
        return from_provider(exc).openai_body()
    return {
        "error": {"message": "internal error", "type": "api_error", "param": None, "code": None}
    }


def _event(body: JSON) -> bytes:
    return b"data: " + json.dumps(body, separators=(",", ":")).encode() + b"\n\n"


# --- embeddings -------------------------------------------------------------------------
def embedding_request(body: Any) -> tuple[str, list[str], JSON, str]:
    """(model, inputs, params, encoding_format) of an embeddings request."""
    if not isinstance(body, dict):
        raise bad_request("The request body must be a JSON object")
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise bad_request("'model' is required (a string)", param="model")
    raw = body.get("input")
    inputs = [raw] if isinstance(raw, str) else raw
    if not isinstance(inputs, list) or not inputs or not all(isinstance(i, str) for i in inputs):
        raise bad_request("'input' must be a string or a non-empty array of strings", param="input")
    encoding = body.get("encoding_format") or "float"
    if encoding not in ("float", "base64"):
        raise bad_request("'encoding_format' must be float or base64", param="encoding_format")
    params = {k: v for k, v in body.items() if k not in ("model", "input", "encoding_format")}
    return model, inputs, params, encoding


def embeddings(response: EmbeddingResponse, model: str, encoding: str) -> JSON:
    def vector(values: list[float]) -> list[float] | str:
        if encoding == "float":
            return values
        # little-endian float32, as OpenAI encodes (and its SDK decodes) base64 embeddings
        return base64.b64encode(struct.pack(f"<{len(values)}f", *values)).decode()

    return {
        "object": "list",
        "data": [
            {"object": "embedding", "index": index, "embedding": vector(values)}
            for index, values in enumerate(response.vectors)
        ],
        "model": model,
        "usage": {
            "prompt_tokens": response.usage.input_tokens,
            "total_tokens": response.usage.input_tokens,
        },
    }


def models(names: list[str]) -> JSON:
    return {
        "object": "list",
        "data": [
            {"id": name, "object": "model", "created": 0, "owned_by": "taproot"} for name in names
        ],
    }

"""Anthropic's Messages format: requests in, messages and their event stream out.

Requests are translated to the neutral (OpenAI-shaped) chat messages the providers take:
`system` becomes a system message, text blocks become text. Answers and events follow
Anthropic's documented shapes, so the official SDK parses them unchanged.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

from ai.errors import ProviderError
from ai.tokens import count_message_tokens
from ai.types import JSON, ChatResponse, Finish, TextDelta, Usage
from sidecar.chat import LiveStream
from sidecar.errors import bad_request, from_provider

_STOP_REASONS = {"stop": "end_turn", "length": "max_tokens", "tool_calls": "tool_use"}
_ENVELOPE = frozenset({"model", "messages", "system", "stream", "stop_sequences", "metadata"})


def _text(content: Any, where: str) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for index, block in enumerate(content):
            if not isinstance(block, dict) or block.get("type") != "text":
                raise bad_request(f"{where}[{index}]: only text content blocks are supported")
            parts.append(str(block.get("text", "")))
        return "".join(parts)
    raise bad_request(f"{where} must be a string or an array of content blocks")


def messages_request(body: Any) -> tuple[str, list[JSON], JSON, bool]:
    """(model, neutral messages, params, stream) of a Messages API request."""
    if not isinstance(body, dict):
        raise bad_request("The request body must be a JSON object")
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise bad_request("model: Field required")
    max_tokens = body.get("max_tokens")
    if isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or max_tokens < 1:
        raise bad_request("max_tokens: Field required (a positive integer)")
    raw = body.get("messages")
    if not isinstance(raw, list) or not raw:
        raise bad_request("messages: Field required (a non-empty array)")
    messages: list[JSON] = []
    if body.get("system"):
        messages.append({"role": "system", "content": _text(body["system"], "system")})
    for index, message in enumerate(raw):
        if not isinstance(message, dict) or message.get("role") not in ("user", "assistant"):
            raise bad_request(f"messages.{index}.role: expected 'user' or 'assistant'")
        content = _text(message.get("content"), f"messages.{index}.content")
        messages.append({"role": message["role"], "content": content})
    params = {k: v for k, v in body.items() if k not in _ENVELOPE}
    if body.get("stop_sequences"):
        params["stop"] = body["stop_sequences"]
    return model, messages, params, bool(body.get("stream"))


def _usage(value: Usage) -> JSON:
    # Anthropic's input_tokens excludes what was read from or written to its prompt cache
    fresh = value.input_tokens - value.cached_input_tokens - value.cache_write_tokens
    return {
        "input_tokens": max(0, fresh),
        "output_tokens": value.output_tokens,
        "cache_creation_input_tokens": value.cache_write_tokens,
        "cache_read_input_tokens": value.cached_input_tokens,
    }


def message(response: ChatResponse, model: str) -> JSON:
    return {
        "id": _message_id(response.id),
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [{"type": "text", "text": response.content}],
        "stop_reason": _STOP_REASONS.get(response.finish_reason, "end_turn"),
        "stop_sequence": None,
        "usage": _usage(response.usage),
    }


def _message_id(upstream: str) -> str:
    return upstream if upstream.startswith("msg_") else f"msg_{uuid.uuid4().hex[:24]}"


def sse(live: LiveStream, model: str, messages: list[JSON]) -> Iterator[bytes]:
    """message_start … message_stop; an `error` event for a failure after the first byte."""
    try:
        yield _event(
            "message_start",
            {
                "type": "message_start",
                "message": {
                    "id": _message_id(live.response_id),
                    "type": "message",
                    "role": "assistant",
                    "model": model,
                    "content": [],
                    "stop_reason": None,
                    "stop_sequence": None,
                    # the exact count comes with message_delta; this is Taproot's estimate
                    "usage": {"input_tokens": count_message_tokens(messages), "output_tokens": 0},
                },
            },
        )
        yield _event(
            "content_block_start",
            {
                "type": "content_block_start",
                "index": 0,
                "content_block": {"type": "text", "text": ""},
            },
        )
        yield _event("ping", {"type": "ping"})
        finish = "stop"
        reported = Usage()
        try:
            for event in live.events():
                if isinstance(event, TextDelta):
                    if event.text:
                        yield _event(
                            "content_block_delta",
                            {
                                "type": "content_block_delta",
                                "index": 0,
                                "delta": {"type": "text_delta", "text": event.text},
                            },
                        )
                elif isinstance(event, Finish):
                    finish = event.reason
                else:
                    reported = event.usage
        except Exception as exc:
            body = (
                from_provider(exc).anthropic_body()
                if isinstance(exc, ProviderError)
                else {"type": "error", "error": {"type": "api_error", "message": "internal error"}}
            )
            live.close()  # billed before the client hears the end, so it can read the bill
            yield _event("error", body)
            return
        live.close()
        yield _event("content_block_stop", {"type": "content_block_stop", "index": 0})
        yield _event(
            "message_delta",
            {
                "type": "message_delta",
                "delta": {
                    "stop_reason": _STOP_REASONS.get(finish, "end_turn"),
                    "stop_sequence": None,
                },
                "usage": _usage(reported),
            },
        )
        yield _event("message_stop", {"type": "message_stop"})
    finally:
        live.close()


def _event(name: str, body: JSON) -> bytes:
    data = json.dumps(body, separators=(",", ":"))
    return f"event: {name}\ndata: {data}\n\n".encode()

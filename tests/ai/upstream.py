"""A scripted upstream speaking OpenAI's and Anthropic's HTTP protocols, for provider tests.

One ASGI app serves both: OpenAI under /openai/v1, Anthropic under /anthropic. The
request's `model` picks the behaviour (see SCRIPTS), so tests need no shared state;
every request is recorded so tests can check what the provider sent.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

Message = dict[str, Any]
Send = Callable[[Message], Awaitable[None]]
Receive = Callable[[], Awaitable[Message]]
SLEEP = 1.0  # how long "slow" and "stall" hang: well beyond the tests' client timeouts


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class Upstream:
    url: str
    requests: list[Recorded] = field(default_factory=list)

    @property
    def openai_url(self) -> str:
        return f"{self.url}/openai/v1"

    @property
    def anthropic_url(self) -> str:
        return f"{self.url}/anthropic"

    def last(self) -> Recorded:
        return self.requests[-1]


async def respond(
    send: Send, status: int, body: Any, headers: dict[str, str] | None = None
) -> None:
    payload = body if isinstance(body, bytes) else json.dumps(body).encode()
    raw = [(k.encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": payload})


async def stream(send: Send, parts: list[bytes | float]) -> None:
    """An SSE body: bytes are sent as they are, floats are pauses (seconds)."""
    headers = [(b"content-type", b"text/event-stream")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    for part in parts:
        if isinstance(part, float):
            await asyncio.sleep(part)
        else:
            await send({"type": "http.response.body", "body": part, "more_body": True})
    await send({"type": "http.response.body", "body": b""})


def sse(data: Any, event: str | None = None) -> bytes:
    text = data if isinstance(data, str) else json.dumps(data)
    prefix = f"event: {event}\n" if event else ""
    return f"{prefix}data: {text}\n\n".encode()


# Errors both protocols share, by model name: (status, headers, OpenAI body, Anthropic body).
ERRORS: dict[str, tuple[int, dict[str, str], Any, Any]] = {
    "429": (
        429,
        {"retry-after": "7"},
        {"error": {"message": "slow down", "type": "requests", "code": "rate_limit_exceeded"}},
        {"type": "error", "error": {"type": "rate_limit_error", "message": "slow down"}},
    ),
    "429-ms": (429, {"retry-after-ms": "1500"}, {"error": "slow"}, {}),
    "429-quota": (
        429,
        {},
        {"error": {"message": "out of credit", "code": "insufficient_quota"}},
        {"type": "error", "error": {"type": "rate_limit_error", "message": "x"}},
    ),
    "400": (
        400,
        {},
        {"error": {"message": "bad", "code": "invalid_value"}},
        {"type": "error", "error": {"type": "invalid_request_error", "message": "bad"}},
    ),
    "400-filter": (
        400,
        {},
        {"error": {"message": "no", "code": "content_policy_violation"}},
        {},
    ),
    "401": (
        401,
        {},
        {"error": {"message": "bad key"}},
        {"error": {"type": "authentication_error"}},
    ),
    "404": (404, {}, b"not found", b"not found"),
    "500": (500, {}, {"error": {"message": "oops"}}, {"error": {"type": "api_error"}}),
    "503-overloaded": (503, {}, {"error": {"message": "Overloaded"}}, {}),
    "529": (529, {}, {"error": {"message": "busy"}}, {"error": {"type": "overloaded_error"}}),
}


def openai_chunk(text: str | None = None, finish: str | None = None) -> bytes:
    delta = {"content": text} if text is not None else {}
    return sse({"id": "c1", "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})


OPENAI_USAGE = {
    "prompt_tokens": 11,
    "completion_tokens": 3,
    "prompt_tokens_details": {"cached_tokens": 4},
    "completion_tokens_details": {"reasoning_tokens": 2},
}


def openai_stream_parts(model: str) -> list[bytes | float]:
    words: list[bytes | float] = [openai_chunk("Hello"), openai_chunk(" world")]
    done: list[bytes | float] = [openai_chunk(finish="stop")]
    usage: list[bytes | float] = [sse({"id": "c1", "choices": [], "usage": OPENAI_USAGE})]
    end: list[bytes | float] = [b"data: [DONE]\n\n"]
    scripts: dict[str, list[bytes | float]] = {
        "ok": words + done + usage + end,
        "no-usage": words + done + end,
        "no-done": words + done + usage,
        "keepalive": [b": ping\n\n", words[0], b": ping\n\n", words[1], *done, *usage, *end],
        "cut": words,
        "stall": [words[0], SLEEP],
        "malformed": [words[0], b"data: {oops\n\n"],
        "error": [words[0], sse({"error": {"message": "engine overloaded", "code": "overloaded"}})],
        "empty-chunks": [sse({"choices": []}), sse({"choices": [{"delta": {}}]}), *done, *end],
    }
    return scripts[model]


async def openai_chat(send: Send, body: Any) -> None:
    model = body.get("model", "ok")
    if body.get("stream"):
        await stream(send, openai_stream_parts(model))
        return
    message: dict[str, Any] = {"role": "assistant", "content": "Hello world"}
    answer: dict[str, Any] = {
        "id": "chatcmpl-1",
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
        "usage": OPENAI_USAGE,
    }
    if model == "tools":
        message["content"] = None
        message["tool_calls"] = [{"id": "t1", "type": "function", "function": {"name": "f"}}]
        answer["choices"][0]["finish_reason"] = "tool_calls"
    if model == "no-usage":
        del answer["usage"]
    if model == "no-choices":
        answer["choices"] = []
    await respond(send, 200, answer)


async def openai_embeddings(send: Send, body: Any) -> None:
    inputs = body["input"]
    if body.get("model") == "short":
        inputs = inputs[:-1]
    data = [{"index": i, "embedding": [float(i), 0.5]} for i in reversed(range(len(inputs)))]
    if body.get("model") == "garbled":
        data = [{"index": 0, "embedding": "nope"} for _ in inputs]
    await respond(send, 200, {"data": data, "model": body["model"], "usage": {"prompt_tokens": 5}})


def anthropic_event(kind: str, **fields: Any) -> bytes:
    return sse({"type": kind, **fields}, event=kind)


ANTHROPIC_START = anthropic_event(
    "message_start",
    message={
        "id": "msg_1",
        "usage": {
            "input_tokens": 10,
            "cache_read_input_tokens": 5,
            "cache_creation_input_tokens": 2,
        },
    },
)


def anthropic_stream_parts(model: str) -> list[bytes | float]:
    def text(t: str) -> bytes:
        return anthropic_event(
            "content_block_delta", index=0, delta={"type": "text_delta", "text": t}
        )

    words = [text("Hello"), text(" world")]
    ping = anthropic_event("ping")
    delta = anthropic_event(
        "message_delta", delta={"stop_reason": "max_tokens"}, usage={"output_tokens": 3}
    )
    stop = anthropic_event("message_stop")
    overloaded = anthropic_event("error", error={"type": "overloaded_error", "message": "busy"})
    scripts: dict[str, list[bytes | float]] = {
        "ok": [ANTHROPIC_START, ping, *words, b": keep-alive\n\n", delta, stop],
        "no-usage": [*words, stop],
        "cut": [ANTHROPIC_START, *words],
        "stall": [ANTHROPIC_START, words[0], SLEEP],
        "error": [ANTHROPIC_START, words[0], overloaded],
        "malformed": [ANTHROPIC_START, b"event: x\ndata: [\n\n"],
    }
    return scripts[model]


async def anthropic_messages(send: Send, body: Any) -> None:
    model = body.get("model", "ok")
    if body.get("stream"):
        await stream(send, anthropic_stream_parts(model))
        return
    content: list[dict[str, Any]] = [{"type": "text", "text": "Hello world"}]
    if model == "tools":
        content.append({"type": "tool_use", "id": "tu1", "name": "f", "input": {"x": 1}})
    answer = {
        "id": "msg_1",
        "model": model,
        "content": content if model != "no-content" else None,
        "stop_reason": "tool_use" if model == "tools" else "end_turn",
        "usage": {"input_tokens": 10, "output_tokens": 3, "cache_read_input_tokens": 5},
    }
    await respond(send, 200, answer)


async def anthropic_models(send: Send, query: str) -> None:
    if "after_id" in query:
        await respond(send, 200, {"data": [{"id": "claude-b"}], "has_more": False})
    else:
        await respond(send, 200, {"data": [{"id": "claude-a"}], "has_more": True, "last_id": "a"})


async def read_body(receive: Receive) -> Any:
    raw, more = b"", True
    while more:
        message = await receive()
        raw += message.get("body", b"")
        more = message.get("more_body", False)
    return json.loads(raw) if raw else None


def make_app(upstream: Upstream) -> Callable[[Message, Receive, Send], Awaitable[None]]:
    async def app(scope: Message, receive: Receive, send: Send) -> None:
        body = await read_body(receive)
        path, query = scope["path"], scope["query_string"].decode()
        headers = {k.decode(): v.decode() for k, v in scope["headers"]}
        upstream.requests.append(Recorded(scope["method"], path, headers, body))
        await route(send, path, query, body or {})

    return app


async def route(send: Send, path: str, query: str, body: Any) -> None:
    family = "openai" if path.startswith("/openai/") else "anthropic"
    model = str(body.get("model", ""))
    if model in ERRORS:
        status, headers, openai_body, anthropic_body = ERRORS[model]
        await respond(send, status, openai_body if family == "openai" else anthropic_body, headers)
    elif model == "slow":
        await asyncio.sleep(SLEEP)
        await respond(send, 200, {})
    elif model == "malformed-json":
        await respond(send, 200, b"{not json")
    elif model == "not-object":
        await respond(send, 200, [1, 2])
    elif path == "/openai/v1/chat/completions":
        await openai_chat(send, body)
    elif path == "/openai/v1/embeddings":
        await openai_embeddings(send, body)
    elif path == "/openai/v1/models":
        await respond(send, 200, {"data": [{"id": "gpt-a"}, {"id": "gpt-b"}, {"x": 1}]})
    elif path == "/anthropic/v1/messages":
        await anthropic_messages(send, body)
    elif path == "/anthropic/v1/models":
        await anthropic_models(send, query)
    else:
        await respond(send, 404, {"error": {"message": "no route"}})

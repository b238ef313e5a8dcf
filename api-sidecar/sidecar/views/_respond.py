"""Response helpers shared by the blueprints: JSON answers and event streams."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flask import Response, json

from sidecar.chat import Served

SSE_HEADERS = {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache",
    "x-accel-buffering": "no",  # proxies must pass events on as they come
}


def served_headers(served: Served) -> dict[str, str]:
    return {
        "x-taproot-cache": served.cache_status,
        "x-taproot-provider": served.provider,
        "x-taproot-upstream-model": served.route.upstream_model,
    }


def answer(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        json.dumps(body), status=status, headers=headers or {}, mimetype="application/json"
    )


def event_stream(events: Iterator[bytes], headers: dict[str, str]) -> Response:
    return Response(events, status=200, headers={**SSE_HEADERS, **headers})

"""The sidecar's metrics (prometheus-client, multiprocess across gunicorn workers).

GET /metrics on the sidecar's own port (never under the prefix, so the gateway's proxy and
the public origin do not expose it) reports every sidecar worker process; under `taproot up`
the gateway's /metrics includes these too.

- sidecar_requests_total{route,method,status}, sidecar_request_duration_seconds{...}: route
  is the Flask endpoint (openai.chat_completions, prompts.run, …), never the raw path; a
  stream is timed to its first byte
- sidecar_db_pool_connections{state}: open, in_use, idle, waiting, max
- sidecar_ratelimit_total{outcome}: the shared limiter's refusals and fail-opens
- taproot_ai_* {component="sidecar"} (telemetry.ai): provider calls, latency, errors by
  kind, billed answers by cache result (hit|miss), tokens, cost, open circuits
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, Response, g, request
from prometheus_client import Counter, Gauge, Histogram

import telemetry
from ai.errors import ProviderError
from ai.types import (
    JSON,
    ChatRequest,
    ChatResponse,
    EmbeddingRequest,
    EmbeddingResponse,
    Provider,
    StreamEvent,
    Usage,
)
from sidecar import chat, ledger
from sidecar.aio import Stream
from sidecar.caller import Caller
from sidecar.routing import Route
from sidecar.services import EXTENSION, Services
from sidecar.timing import Clock
from sidecar.upstream import Upstream
from telemetry import ai

T = TypeVar("T")
COMPONENT = "sidecar"
BUCKETS = (0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)

REQUESTS = Counter(
    "sidecar_requests_total",
    "HTTP requests answered, by endpoint, method and status.",
    ["route", "method", "status"],
)
DURATION = Histogram(
    "sidecar_request_duration_seconds",
    "Time to the response (a stream: to its first byte), by endpoint, method and status.",
    ["route", "method", "status"],
    buckets=BUCKETS,
)
POOL = Gauge(
    "sidecar_db_pool_connections",
    "Database pool connections by state (open, in_use, idle, waiting, max).",
    ["state"],
    multiprocess_mode="livesum",
)
RATELIMIT = Counter(
    "sidecar_ratelimit_total", "The sidecar limiter's decisions, by outcome.", ["outcome"]
)


def install(app: Flask) -> None:
    """Time every request, serve GET /metrics, sample pool and breakers in the background."""
    services: Services = app.extensions[EXTENSION]
    limits = telemetry.DeltaCounter(RATELIMIT)

    def sample() -> None:
        stats = services.db.pool.get_stats()
        size, available = stats.get("pool_size", 0), stats.get("pool_available", 0)
        for state, value in (
            ("open", size),
            ("in_use", size - available),
            ("idle", available),
            ("waiting", stats.get("requests_waiting", 0)),
            ("max", services.db.pool.max_size),
        ):
            POOL.labels(state).set(value)
        ai.breakers(COMPONENT, services.breakers.states())
        limiter = app.extensions.get("taproot-ratelimit")
        if limiter is not None:
            limits.sync(limiter.counts)

    sampler = telemetry.Sampler(sample)

    def begin() -> None:
        sampler.start()  # after the fork: the thread belongs to this worker
        g.metrics_started = time.perf_counter()

    def finish(response: Response) -> Response:
        started: float | None = g.get("metrics_started")
        if started is not None:
            labels = (request.endpoint or "unmatched", request.method, str(response.status_code))
            REQUESTS.labels(*labels).inc()
            DURATION.labels(*labels).observe(time.perf_counter() - started)
        return response

    def scrape() -> Response:
        sample()
        return Response(telemetry.expose(), mimetype=None, content_type=telemetry.CONTENT_TYPE)

    app.before_request(begin)
    app.after_request(finish)
    app.add_url_rule("/metrics", "metrics", scrape, methods=["GET"])


def _outcome(exc: BaseException) -> str:
    return exc.kind.value if isinstance(exc, ProviderError) else "error"


class MeteredUpstream(Upstream):
    """Upstream whose provider calls are counted and timed (per credential)."""

    def _timed(self, credential: str, call: Callable[[], T]) -> T:
        started = time.perf_counter()
        try:
            result = call()
        except Exception as exc:
            ai.provider_call(COMPONENT, credential, _outcome(exc), time.perf_counter() - started)
            raise
        ai.provider_call(COMPONENT, credential, "ok", time.perf_counter() - started)
        return result

    def chat(
        self, clock: Clock, provider: Provider, credential: str, request: ChatRequest
    ) -> ChatResponse:
        return self._timed(
            credential, functools.partial(super().chat, clock, provider, credential, request)
        )

    def embed(
        self, clock: Clock, provider: Provider, credential: str, request: EmbeddingRequest
    ) -> EmbeddingResponse:
        return self._timed(
            credential, functools.partial(super().embed, clock, provider, credential, request)
        )

    def open_stream(
        self, clock: Clock, provider: Provider, credential: str, request: ChatRequest
    ) -> tuple[StreamEvent, Stream[StreamEvent]]:
        return self._timed(
            credential, functools.partial(super().open_stream, clock, provider, credential, request)
        )


class MeteredEngine(chat.Engine):
    """Engine whose billed answers (tokens, cost, cache result) are counted."""

    def bill(
        self,
        latency_ms: int,
        caller: Caller,
        billed: ledger.Call,
        *,
        route: Route,
        provider: str,
        usage: Usage,
        status: str,
    ) -> JSON:
        row = super().bill(
            latency_ms, caller, billed, route=route, provider=provider, usage=usage, status=status
        )
        ai.billed(
            COMPONENT,
            provider,
            cache="miss",
            status=status,
            input_tokens=usage.input_tokens,
            output_tokens=usage.output_tokens,
            cost=_cost(row),
        )
        return row

    def _bill_hit(
        self, caller: Caller, call: chat.ChatCall, hit: ChatResponse, latency_ms: int
    ) -> JSON:
        row = super()._bill_hit(caller, call, hit, latency_ms)
        ai.billed(
            COMPONENT,
            hit.provider,
            cache="hit",
            status="ok",
            input_tokens=hit.usage.input_tokens,
            output_tokens=hit.usage.output_tokens,
            cost=_cost(row),
        )
        return row


def _cost(row: Any) -> float | None:
    cost = row.get("cost") if isinstance(row, dict) else None
    return float(cost) if isinstance(cost, int | float) else None

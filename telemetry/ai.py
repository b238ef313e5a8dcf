"""AI metrics, the same series for the sidecar and the workers (label `component`).

- taproot_ai_calls_total{component,provider,outcome}: provider calls, one per route tried;
  outcome `ok` or the error kind (transient, rate_limit, auth, permanent, ...).
- taproot_ai_call_duration_seconds{component,provider}: a whole answer, or a stream's first
  event (the sidecar answers streams as they come).
- taproot_ai_billed_total{component,cache,status}: billed answers; cache = hit (Taproot's
  cache answered) or miss.
- taproot_ai_tokens_total{component,provider,direction}: input/output tokens billed.
- taproot_ai_cost_total{component,provider}: cost billed (api.ai_usage.cost, in USD).
- taproot_ai_circuit_open{component,provider}: 1 while a provider's breaker is open.
"""

from __future__ import annotations

from collections.abc import Mapping

from prometheus_client import Counter, Gauge, Histogram

BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)

CALLS = Counter(
    "taproot_ai_calls_total",
    "Provider calls (one per route tried), by outcome (ok or the error kind).",
    ["component", "provider", "outcome"],
)
LATENCY = Histogram(
    "taproot_ai_call_duration_seconds",
    "Provider call latency (a stream: until its first event).",
    ["component", "provider"],
    buckets=BUCKETS,
)
BILLED = Counter(
    "taproot_ai_billed_total",
    "AI answers billed to the ledger, by cache result (hit|miss) and status.",
    ["component", "cache", "status"],
)
TOKENS = Counter(
    "taproot_ai_tokens_total",
    "Tokens billed, by direction (input|output).",
    ["component", "provider", "direction"],
)
COST = Counter(
    "taproot_ai_cost_total", "Cost billed (api.ai_usage.cost).", ["component", "provider"]
)
CIRCUIT_OPEN = Gauge(
    "taproot_ai_circuit_open",
    "1 while the provider credential's circuit breaker is open.",
    ["component", "provider"],
    multiprocess_mode="livemax",
)


def provider_call(component: str, provider: str, outcome: str, seconds: float) -> None:
    CALLS.labels(component, provider, outcome).inc()
    LATENCY.labels(component, provider).observe(seconds)


def billed(
    component: str,
    provider: str,
    *,
    cache: str,
    status: str,
    input_tokens: int,
    output_tokens: int,
    cost: float | None,
) -> None:
    BILLED.labels(component, cache, status).inc()
    if input_tokens:
        TOKENS.labels(component, provider, "input").inc(input_tokens)
    if output_tokens:
        TOKENS.labels(component, provider, "output").inc(output_tokens)
    counter = COST.labels(component, provider)
    if cost:
        counter.inc(float(cost))


def breakers(component: str, states: Mapping[str, str]) -> None:
    """Breaker states as pybreaker names them (closed, open, half-open)."""
    for provider, state in states.items():
        CIRCUIT_OPEN.labels(component, provider).set(1 if state == "open" else 0)

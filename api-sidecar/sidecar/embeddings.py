"""One embeddings call: routes, budget, fallback, usage (never cached: inputs vary)."""

from __future__ import annotations

import logging

from ai.errors import ProviderError
from ai.tokens import count_tokens
from ai.types import JSON, EmbeddingRequest, EmbeddingResponse
from sidecar import ledger, routing
from sidecar.caller import Caller
from sidecar.chat import Engine
from sidecar.errors import from_provider
from sidecar.timing import Clock

log = logging.getLogger("sidecar.embeddings")


def embed(
    engine: Engine, clock: Clock, caller: Caller, *, model: str, inputs: list[str], params: JSON
) -> EmbeddingResponse:
    tokens = sum(count_tokens(text) for text in inputs)
    begun = ledger.begin(
        engine.db,
        caller,
        model=model,
        cache_digest=None,
        request_id=None,
        tokens=tokens,
        ttl=engine.reservation_ttl,
    )
    caller, reservation = begun.caller, begun.reservation_id
    routes = routing.resolve(caller, model)
    billed = ledger.Call(None, "embeddings", model, reservation)
    last: ProviderError | None = None
    try:
        for route in routes:
            try:
                provider = engine.upstream.provider(caller, route.credential)
                response = engine.upstream.embed(
                    clock,
                    provider,
                    route.credential,
                    EmbeddingRequest(route.upstream_model, inputs, params),
                )
            except ProviderError as exc:
                last = exc
                log.info("route %s/%s failed: %r", route.credential, route.upstream_model, exc)
                continue
            engine.bill(
                clock.elapsed_ms(),
                caller,
                billed,
                route=route,
                provider=response.provider,
                usage=response.usage,
                status="ok",
            )
            return response
    except BaseException:
        ledger.release(engine.db, caller, reservation)
        raise
    ledger.release(engine.db, caller, reservation)
    assert last is not None
    raise from_provider(last)

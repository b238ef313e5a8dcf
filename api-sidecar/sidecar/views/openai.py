"""OpenAI-compatible endpoints: /v1/chat/completions, /v1/embeddings, /v1/models."""

from __future__ import annotations

from flask import Blueprint, Response, request

from sidecar import cache, embeddings, openai_wire
from sidecar.chat import ChatCall
from sidecar.models import list_models
from sidecar.services import caller, clock, json_body, services
from sidecar.views._respond import AfterAnswer, answer, event_stream, served_headers

bp = Blueprint("openai", __name__)


def policy() -> cache.Policy:
    return cache.Policy.from_headers(
        request.headers.get(cache.MODE_HEADER),
        request.headers.get(cache.TTL_HEADER),
        services().settings.cache_ttl,
    )


@bp.post("/v1/chat/completions")
def chat_completions() -> Response:
    model, messages, params, stream, include_usage = openai_wire.chat_request(json_body())
    call = ChatCall("chat", model, messages, params, policy())
    engine = services().engine
    if stream:
        live = engine.stream(clock(), caller(rights=False), call)
        return event_stream(
            openai_wire.sse(live, model, include_usage), served_headers(live.served)
        )
    later = AfterAnswer()  # the ledger write, once the answer is out
    response, served = engine.complete(clock(), caller(rights=False), call, later=later)
    return later.attach(
        answer(openai_wire.completion(response, model), headers=served_headers(served))
    )


@bp.post("/v1/embeddings")
def create_embeddings() -> Response:
    model, inputs, params, encoding = openai_wire.embedding_request(json_body())
    response = embeddings.embed(
        services().engine, clock(), caller(rights=False), model=model, inputs=inputs, params=params
    )
    return answer(
        openai_wire.embeddings(response, model, encoding),
        headers={"x-taproot-provider": response.provider},
    )


@bp.get("/v1/models")
def models() -> Response:
    return answer(openai_wire.models(list_models(services(), clock(), caller())))

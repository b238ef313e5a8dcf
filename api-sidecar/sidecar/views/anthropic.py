"""The Anthropic-compatible endpoint: /v1/messages (errors in Anthropic's shape)."""

from __future__ import annotations

from flask import Blueprint, Response

from sidecar import anthropic_wire
from sidecar.chat import ChatCall
from sidecar.services import caller, clock, json_body, services
from sidecar.views._respond import AfterAnswer, answer, event_stream, served_headers
from sidecar.views.openai import policy

bp = Blueprint("anthropic", __name__)


@bp.post("/v1/messages")
def messages() -> Response:
    model, chat_messages, params, stream = anthropic_wire.messages_request(json_body())
    call = ChatCall("messages", model, chat_messages, params, policy())
    engine = services().engine
    if stream:
        live = engine.stream(clock(), caller(rights=False), call)
        return event_stream(
            anthropic_wire.sse(live, model, chat_messages), served_headers(live.served)
        )
    later = AfterAnswer()  # the ledger write, once the answer is out
    response, served = engine.complete(clock(), caller(rights=False), call, later=later)
    return later.attach(
        answer(anthropic_wire.message(response, model), headers=served_headers(served))
    )

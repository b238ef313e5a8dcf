"""Stored prompts: /prompts/render (messages only) and /prompts/run (call the model now)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator

from flask import Blueprint, Response

from ai.types import JSON
from sidecar import openai_wire, prompts
from sidecar.caller import Caller
from sidecar.chat import ChatCall, LiveStream
from sidecar.errors import SidecarError
from sidecar.services import Services, caller, clock, json_body, services
from sidecar.views._respond import answer, event_stream, served_headers
from sidecar.views.openai import policy

bp = Blueprint("prompts", __name__)
log = logging.getLogger("sidecar.prompts")


@bp.post("/prompts/render")
def render() -> Response:
    prompt_id, version, inputs = prompts.parse(json_body())
    rendered = prompts.render(services().db, caller(), prompt_id, version, inputs)
    return answer(
        {
            "prompt_id": str(rendered.prompt_id),
            "version": rendered.version,
            "model": rendered.model,
            "messages": rendered.messages,
            "params": rendered.params,
        }
    )


@bp.post("/prompts/run")
def run() -> Response:
    body = json_body()
    prompt_id, version, inputs = prompts.parse(body)
    svc, who = services(), caller()
    rendered = prompts.render(svc.db, who, prompt_id, version, inputs)
    request_id, attempt = prompts.start_run(svc.db, who, prompt_id, rendered.version, inputs)
    call = ChatCall(
        "prompts.run", rendered.model, rendered.messages, rendered.params, policy(), request_id
    )
    try:
        if isinstance(body, dict) and body.get("stream"):
            live = svc.engine.stream(clock(), who, call)
            events = _finishing(
                svc, who, live, request_id=request_id, attempt=attempt, model=rendered.model
            )
            return event_stream(events, {**served_headers(live.served), **_id(request_id)})
        response, served = svc.engine.complete(clock(), who, call)
    except SidecarError as exc:
        prompts.finish_run(
            svc.db, who, request_id, attempt, result=None, error=exc.message, usage_row=None
        )
        raise
    prompts.finish_run(
        svc.db,
        who,
        request_id,
        attempt,
        result=response.content,
        error=None,
        usage_row=served.usage_row,
    )
    return answer(
        {
            "request_id": str(request_id),
            "status": "succeeded",
            "result": response.content,
            "model": rendered.model,
            "finish_reason": response.finish_reason,
            "usage": openai_wire.usage(response.usage),
        },
        headers={**served_headers(served), **_id(request_id)},
    )


def _id(request_id: object) -> dict[str, str]:
    return {"x-taproot-request-id": str(request_id)}


def _finishing(
    svc: Services, who: Caller, live: LiveStream, *, request_id: uuid.UUID, attempt: int, model: str
) -> Iterator[bytes]:
    """The OpenAI-format stream; once it is over (or abandoned) the request is finished."""
    try:
        yield from openai_wire.sse(live, model, include_usage=True)
    finally:
        failure = live.failure
        usage: JSON | None = live.served.usage_row
        complete = failure is None and usage is not None and usage.get("status") == "ok"
        try:
            prompts.finish_run(
                svc.db,
                who,
                request_id,
                attempt,
                result=live.text if complete else None,
                error=None if complete else (failure.message if failure else "client disconnected"),
                usage_row=usage,
            )
        except SidecarError:
            # the stream is over for the client either way; the record is the operator's
            log.exception("could not finish AI request %s", request_id)

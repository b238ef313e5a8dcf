"""Stored prompts: render a version with inputs, or run it now as a recorded AI request.

A synchronous run is an api.ai_requests row like the background path's, created by
app.start_sync_ai_request under the caller (running, attempt 1, no job) and finished with
app.finish_ai_request; its usage row carries endpoint 'prompts.run'.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from ai.templates import TemplateError, TemplateInputError, generation_params, prompt_messages
from ai.templates import render as render_template
from ai.types import JSON
from sidecar._sql import query
from sidecar.caller import Caller
from sidecar.db import Database
from sidecar.errors import SidecarError, bad_request

_VERSION = query("prompts", "prompt_version")
_START = query("prompts", "start_run")
_FINISH = query("prompts", "finish_run")


@dataclass(frozen=True)
class Rendered:
    prompt_id: uuid.UUID
    version: int
    model: str
    messages: list[JSON]
    params: JSON


def parse(body: Any) -> tuple[uuid.UUID, int | None, dict[str, Any]]:
    if not isinstance(body, dict):
        raise bad_request("The request body must be a JSON object")
    try:
        prompt_id = uuid.UUID(str(body.get("prompt_id")))
    except ValueError:
        raise bad_request("'prompt_id' is required (a uuid)", param="prompt_id") from None
    version = body.get("version")
    if version is not None and (isinstance(version, bool) or not isinstance(version, int)):
        raise bad_request("'version' must be an integer", param="version")
    inputs = body.get("inputs", {})
    if not isinstance(inputs, dict):
        raise bad_request("'inputs' must be an object of variable values", param="inputs")
    return prompt_id, version, inputs


def render(
    db: Database, caller: Caller, prompt_id: uuid.UUID, version: int | None, inputs: dict[str, Any]
) -> Rendered:
    with db.transaction(caller.role) as tx:
        row = tx.one(_VERSION, {"prompt_id": prompt_id, "version": version})
    if row is None or row["workspace_id"] != caller.workspace_id:
        which = f"version {version} of prompt" if version is not None else "prompt"
        raise SidecarError(404, f"{which} {prompt_id} not found", code="prompt_not_found")
    try:
        text = render_template(row["template"], row["variables"], inputs)
    except TemplateInputError as exc:
        raise SidecarError(
            400,
            exc.message,
            param="inputs",
            code="invalid_inputs",
            details={
                "missing": exc.missing,
                "unknown": exc.unknown,
                "mistyped": [
                    {"name": m.name, "expected": m.expected, "got": m.got} for m in exc.mistyped
                ],
            },
        ) from None
    except TemplateError as exc:
        raise SidecarError(400, exc.message, code="invalid_template") from None
    params = dict(row["params"])
    return Rendered(
        prompt_id,
        int(row["version"]),
        str(row["model"]),
        prompt_messages(text, params),
        generation_params(params),
    )


def start_run(
    db: Database, caller: Caller, prompt_id: uuid.UUID, version: int, inputs: dict[str, Any]
) -> tuple[uuid.UUID, int]:
    """The new request's id and attempt number."""
    with db.transaction(caller.role) as tx:
        row = tx.one(
            _START, {"prompt_id": prompt_id, "inputs": json.dumps(inputs), "version": version}
        )
    assert row is not None
    return uuid.UUID(str(row["id"])), int(row["attempts"])


def finish_run(
    db: Database,
    caller: Caller,
    request_id: uuid.UUID,
    attempt: int,
    *,
    result: str | None,
    error: str | None,
    usage_row: JSON | None,
) -> None:
    usage = usage_row or {}
    with db.transaction(caller.role) as tx:
        tx.one(
            _FINISH,
            {
                "request_id": request_id,
                "attempt": attempt,
                "status": "succeeded" if error is None else "failed",
                "result": result,
                "error": error,
                "tokens_in": int(usage.get("input_tokens", 0) or 0),
                "tokens_out": int(usage.get("output_tokens", 0) or 0),
                "cost": usage.get("cost", 0) or 0,
                "cache_hit": bool(usage.get("cache_hit", False)),
            },
        )

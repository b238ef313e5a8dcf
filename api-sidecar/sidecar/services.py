"""The objects one sidecar process shares between requests, and request-scoped helpers.

`Services` is built by `create_app` and kept in `app.extensions`; views reach it through
`services()`, and the caller and clock of the current request through `caller()` and
`clock()`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app, g, request

from ai.breaker import Breakers
from sidecar.aio import Loop
from sidecar.caller import WORKSPACE_HEADER, Authenticator, Caller
from sidecar.chat import Engine
from sidecar.db import Database
from sidecar.errors import bad_request
from sidecar.settings import Settings
from sidecar.timing import Clock
from sidecar.upstream import Upstream

EXTENSION = "taproot-sidecar"


@dataclass
class Services:
    settings: Settings
    db: Database
    loop: Loop
    breakers: Breakers
    upstream: Upstream
    engine: Engine
    auth: Authenticator


def services() -> Services:
    found: Services = current_app.extensions[EXTENSION]
    return found


def clock() -> Clock:
    found: Clock = g.clock
    return found


def caller(*, rights: bool = True) -> Caller:
    """The authenticated caller of this request (once per request).

    `rights=False` for the AI calls, whose one statement before the provider call
    (app.begin_ai_call) checks the caller's rights and reads the routes itself.
    """
    name = "caller" if rights else "bare_caller"
    if name not in g:
        setattr(
            g,
            name,
            services().auth.identify(
                request.headers.get("authorization"),
                request.headers.get("x-api-key"),
                request.headers.get(WORKSPACE_HEADER),
                rights=rights,
            ),
        )
    found: Caller = getattr(g, name)
    return found


def json_body() -> Any:
    body = request.get_json(silent=True)
    if body is None:
        raise bad_request("The request body must be JSON (Content-Type: application/json)")
    return body

"""Response helpers shared by the blueprints: JSON answers and event streams."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

from flask import Response, json

from sidecar.chat import Served
from taproot import logs

log = logging.getLogger("sidecar.after")

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


class AfterAnswer:
    """Work that runs once the answer has been sent: the ledger write of a whole answer.

    Pass the instance as `Engine.complete(later=...)`, then `attach` it to the response:
    werkzeug calls it when the server closes the response, after the last byte went out,
    still on this request's thread (so a worker never has more unrecorded calls than
    threads, and a graceful stop finishes them). The request's log context (its id, also
    the request.id GUC of the ledger transaction) is carried over. A failure is logged:
    the client already has its answer, and the reservation taken before the provider
    call still holds the budget until the sweeper frees it.
    """

    def __init__(self) -> None:
        self._work: list[Callable[[], None]] = []
        self._context = logs.current()

    def __call__(self, work: Callable[[], None]) -> None:
        self._work.append(work)

    def attach(self, response: Response) -> Response:
        if self._work:
            response.call_on_close(self._run)
        return response

    def _run(self) -> None:
        token = logs.bind(self._context)
        try:
            for work in self._work:
                try:
                    work()
                except Exception:
                    log.exception("could not finish the call after answering it")
        finally:
            logs.reset(token)

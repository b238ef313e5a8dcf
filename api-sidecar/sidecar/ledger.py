"""Budgets and usage: reserve the worst case before a call, record and settle after it.

PostgreSQL is the ledger. Before the provider call `begin` runs app.begin_ai_call: the
caller check, the model's routes, the cache lookup and — on a miss — the API key's rate and
the reservation (refused with PT429 budget_exhausted past the workspace's or key's budget),
in one statement and one round trip. After it, `record` writes exactly one durable usage
row per call (app.record_ai_usage, synchronous commit) and hands its id to the process's
`Settler`, which applies it to the counters (app.settle_ai_usage(bigint[]), exactly once,
asynchronous commit) off the request path; app.settle_pending_usage, a periodic worker
job, settles what a crash leaves. `release` gives back a reservation nobody used.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
import uuid
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from ai.types import JSON, Usage
from sidecar._sql import query
from sidecar.caller import Caller, routes_of
from sidecar.db import Database, Role
from sidecar.errors import SidecarError, rate_limited

log = logging.getLogger("sidecar.ledger")

_BEGIN = query("ai", "begin_ai_call")
_SETTLE = query("ai", "settle_usage")
_DEBIT_RATE = query("ai", "debit_api_key_tokens")
_RELEASE = query("ai", "release_budget")
_RECORD = query("ai", "record_usage")


@dataclass(frozen=True)
class Call:
    """What a usage row says about one call besides its tokens."""

    request_id: uuid.UUID | None  # the api.ai_requests row, when the call runs one
    endpoint: str  # chat | embeddings | messages | prompts.run
    model: str  # as the client named it
    reservation_id: uuid.UUID | None = None


@dataclass(frozen=True)
class Begun:
    """What app.begin_ai_call answered: the caller with its rights and routes, then either
    a cached answer (nothing reserved) or the reservation."""

    caller: Caller
    cache_key: str | None
    cached: Any | None
    reservation_id: uuid.UUID | None


def begin(
    db: Database,
    caller: Caller,
    *,
    model: str,
    cache_digest: str | None,
    request_id: uuid.UUID | None,
    tokens: int,
    ttl: int,
    input_tokens: int | None = None,
) -> Begun:
    """Check the caller, read the model's routes, look up the cache, and on a miss take the
    key's rate (`input_tokens`, else `tokens`) and reserve `tokens` (the worst case)."""
    (row,) = db.run(
        caller.role,
        (
            _BEGIN,
            {
                "workspace_id": caller.workspace_id,
                "model": model,
                "cache_digest": cache_digest,
                "tokens": tokens,
                "input_tokens": input_tokens,
                "request_id": request_id,
                "ttl_seconds": ttl,
            },
        ),
    )
    assert row is not None
    answer = row["call"]
    if isinstance(answer, str):
        answer = json.loads(answer)
    if not answer.get("allowed"):
        raise SidecarError(
            403, "Only owners, admins and members of the workspace can call its models"
        )
    if answer.get("retry_after") is not None:
        raise rate_limited(str(answer["limit_name"]), float(answer["retry_after"]))
    checked = replace(caller, manages=bool(answer["manages"]), routes=routes_of(answer["routes"]))
    reservation = answer.get("reservation_id")
    return Begun(
        checked,
        answer.get("cache_key"),
        answer.get("cached"),
        uuid.UUID(str(reservation)) if reservation is not None else None,
    )


def release(db: Database, caller: Caller, reservation_id: uuid.UUID | None) -> None:
    if reservation_id is not None:
        db.run(caller.role, (_RELEASE, {"reservation_id": reservation_id}))


def record(
    db: Database,
    caller: Caller,
    call: Call,
    *,
    provider: str,
    upstream_model: str,
    usage: Usage,
    cache_hit: bool,
    status: str,
    latency_ms: int,
    settler: Settler | None = None,
) -> JSON:
    """Write the call's usage row, durably; returns id, cost, tokens, cache_hit, status.

    The counters (today's usage, the reservation, the key's tokens) are settled by the
    process's settler once the row committed, in a transaction of its own.
    """
    statements: list[tuple[str, dict[str, Any]]] = []
    if caller.api_key_id is not None and not cache_hit:
        statements.append((_DEBIT_RATE, {"tokens": usage.output_tokens}))
    statements.append(
        (
            _RECORD,
            {
                "workspace_id": caller.workspace_id,
                "request_id": call.request_id,
                "reservation_id": call.reservation_id,
                "endpoint": call.endpoint,
                "provider": provider,
                "model": call.model,
                "upstream_model": upstream_model,
                "input": usage.input_tokens,
                "output": usage.output_tokens,
                "cached_input": usage.cached_input_tokens,
                "cache_write": usage.cache_write_tokens,
                "reasoning": usage.reasoning_tokens,
                "cache_hit": cache_hit,
                "estimated": usage.estimated,
                "status": status,
                "latency_ms": latency_ms,
            },
        )
    )
    # Not repeatable: a ledger insert must never be sent twice (see Database.run).
    row = db.run(caller.role, *statements, repeatable=False)[-1]
    assert row is not None
    usage_id = int(row["id"])
    if settler is not None:
        settler.submit(caller.role, usage_id)
    else:  # no settler running (e.g. a script): settle in line
        settle(db, caller.role, [usage_id])
    cost = row["cost"]
    return {
        "id": usage_id,
        "cost": float(cost) if isinstance(cost, Decimal) else cost,
        "input_tokens": usage.input_tokens,
        "output_tokens": usage.output_tokens,
        "cache_hit": cache_hit,
        "status": status,
    }


def settle(db: Database, role: Role, usage_ids: list[int]) -> int:
    """Settle recorded rows of one caller, as that caller; how many it settled."""
    (row,) = db.run(role, (_SETTLE, {"usage_ids": usage_ids}))
    return int(row["settled"]) if row is not None else 0


class Settler:
    """A per-process thread settling recorded calls in batches, off the request path.

    `submit` queues a committed ledger row's id with its caller; every `interval` seconds
    (or once `batch` ids are waiting) the thread settles them, one transaction per caller,
    as that caller, so the per-row caller check of app.settle_ai_usage stays the caller's.
    A batch that fails is logged and left pending: app.settle_pending_usage (a periodic
    worker job) settles it, as it does whatever a crash leaves.
    """

    def __init__(self, db: Database, *, interval: float = 0.02, batch: int = 100) -> None:
        self._db = db
        self._interval = interval
        self._batch = batch
        self._queue: queue.SimpleQueue[tuple[Role, int] | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="sidecar-settler", daemon=True)
        self._thread.start()

    def submit(self, role: Role, usage_id: int) -> None:
        self._queue.put((role, usage_id))

    def stop(self, timeout: float = 5.0) -> None:
        """Settle what is queued, then end the thread."""
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout)
            self._thread = None

    def _loop(self) -> None:
        running = True
        while running:
            first = self._queue.get()
            if first is None:
                running = False
                pending: list[tuple[Role, int]] = []
            else:
                pending = [first]
            deadline = time.monotonic() + self._interval
            while running and len(pending) < self._batch:
                wait = deadline - time.monotonic()
                if wait <= 0:
                    break
                try:
                    item = self._queue.get(timeout=wait)
                except queue.Empty:
                    break
                if item is None:
                    running = False
                else:
                    pending.append(item)
            if not running:  # drain what is left before ending
                while True:
                    try:
                        item = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if item is not None:
                        pending.append(item)
            self._settle(pending)

    def _settle(self, pending: list[tuple[Role, int]]) -> None:
        by_caller: dict[str, tuple[Role, list[int]]] = {}
        for role, usage_id in pending:
            key = f"{role.role}\0{role.claims_json}"
            by_caller.setdefault(key, (role, []))[1].append(usage_id)
        for role, ids in by_caller.values():
            try:
                settle(self._db, role, ids)
            except Exception:  # left pending for app.settle_pending_usage
                log.exception("could not settle usage rows %s (left to the sweeper)", ids)

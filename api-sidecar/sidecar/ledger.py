"""Budgets and usage: reserve the worst case before a call, settle or release after it.

PostgreSQL is the ledger: app.reserve_budget refuses (PT429 budget_exhausted) what the
workspace or key cannot afford, app.record_ai_usage writes exactly one usage row per call
and settles its reservation, app.release_budget gives back a reservation nobody used.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from ai.types import Usage
from sidecar._sql import query
from sidecar.caller import Caller
from sidecar.db import Database
from sidecar.errors import rate_limited

_RESERVE = query("ai", "reserve_budget")
_TAKE_RATE = query("ai", "take_api_key_rate")
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


def reserve(
    db: Database,
    caller: Caller,
    request_id: uuid.UUID | None,
    tokens: int,
    ttl: int,
    *,
    input_tokens: int | None = None,
) -> uuid.UUID:
    """Reserve `tokens` (the worst case); a key's per-minute limits count `input_tokens`."""
    with db.transaction(caller.role) as tx:
        if caller.api_key_id is not None:
            rate = tx.one(_TAKE_RATE, {"tokens": tokens if input_tokens is None else input_tokens})
            if rate is not None and rate["retry_after"] > 0:
                raise rate_limited(str(rate["limit_name"]), float(rate["retry_after"]))
        row = tx.one(
            _RESERVE,
            {
                "workspace_id": caller.workspace_id,
                "api_key_id": caller.api_key_id,
                "tokens": tokens,
                "request_id": request_id,
                "ttl_seconds": ttl,
            },
        )
    assert row is not None
    return uuid.UUID(str(row["reservation_id"]))


def release(db: Database, caller: Caller, reservation_id: uuid.UUID) -> None:
    with db.transaction(caller.role) as tx:
        tx.one(_RELEASE, {"reservation_id": reservation_id})


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
) -> dict[str, Any]:
    """Write the call's usage row (and settle its reservation); returns the row."""
    with db.transaction(caller.role) as tx:
        if caller.api_key_id is not None and not cache_hit:
            tx.one(_DEBIT_RATE, {"tokens": usage.output_tokens})
        row = tx.one(
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
    assert row is not None
    usage_row = row["usage"]
    recorded = dict(json.loads(usage_row) if isinstance(usage_row, str) else usage_row)
    # The bill is durable now; the hot counters (today's usage, the reservation, the key's
    # tokens) are settled in a transaction of their own that commits asynchronously.
    with db.transaction(caller.role) as tx:
        tx.one(_SETTLE, {"usage_id": recorded["id"]})
    return recorded

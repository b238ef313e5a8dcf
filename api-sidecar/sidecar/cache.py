"""The exact-match response cache, per workspace, kept in PostgreSQL.

Keys come from ai.cache_key (the model asked for, messages, parameters), combined in SQL
with the first route's upstream model (app.begin_ai_call); entries are
neutral `ChatResponse`s, so a hit can be answered whole or replayed as a stream in either
wire format. Headers: `x-taproot-cache: force|off` and `x-taproot-cache-ttl: <seconds>`
from the client; `x-taproot-cache: hit|miss|bypass` in the answer.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any, Literal

from ai.cache_key import cache_key, cacheable
from ai.types import JSON, ChatResponse, Usage
from sidecar._sql import query
from sidecar.caller import Caller
from sidecar.db import Database
from sidecar.errors import bad_request

MODE_HEADER = "x-taproot-cache"
TTL_HEADER = "x-taproot-cache-ttl"

_LOOKUP = query("ai", "cache_lookup")
_STORE = query("ai", "cache_store")

Status = Literal["hit", "miss", "bypass"]


@dataclass(frozen=True)
class Policy:
    mode: Literal["auto", "force", "off"]
    ttl: int

    @classmethod
    def from_headers(cls, mode: str | None, ttl: str | None, default_ttl: int) -> Policy:
        wanted = (mode or "auto").strip().lower()
        if wanted not in ("auto", "force", "off"):
            raise bad_request(f"{MODE_HEADER} must be force or off", param=MODE_HEADER)
        seconds = default_ttl
        if ttl is not None:
            try:
                seconds = int(ttl)
            except ValueError:
                seconds = 0
            if seconds < 1:
                raise bad_request(f"{TTL_HEADER} must be a positive integer", param=TTL_HEADER)
        return cls(wanted, seconds)  # type: ignore[arg-type]

    def applies(self, params: JSON) -> bool:
        return self.mode != "off" and cacheable(params, self.mode == "force")


def key(route: str, upstream_model: str, messages: list[JSON], params: JSON) -> str:
    return cache_key(route, upstream_model, messages, params)


def digest(model: str, messages: list[JSON], params: JSON) -> str:
    """The request's part of an entry's key; app.begin_ai_call adds the first route's
    upstream model (sha256(digest || '/' || upstream)), which only it knows before the call."""
    return cache_key(model, "", messages, params)


def decode(value: Any) -> ChatResponse:
    """A cached entry (as app.begin_ai_call returns it) as the response it was."""
    return _decode(value)


def lookup(db: Database, caller: Caller, entry: str) -> ChatResponse | None:
    with db.transaction(caller.role) as tx:
        row = tx.one(_LOOKUP, {"workspace_id": caller.workspace_id, "key": entry})
    if row is None or row["response"] is None:
        return None
    return _decode(row["response"])


def store(db: Database, caller: Caller, entry: str, response: ChatResponse, ttl: int) -> None:
    with db.transaction(caller.role) as tx:
        tx.one(
            _STORE,
            {
                "workspace_id": caller.workspace_id,
                "key": entry,
                "response": json.dumps(asdict(response)),
                "ttl_seconds": ttl,
            },
        )


def _decode(value: Any) -> ChatResponse:
    data = dict(json.loads(value) if isinstance(value, str) else value)
    usage = Usage(**data.pop("usage"))
    return ChatResponse(usage=usage, **data)

"""Which (credential, upstream model) pairs serve a model name in a workspace, in order.

api.ai_route answers the workspace's configured fallback chain; no route means the
default provider with the model name as given.
"""

from __future__ import annotations

from dataclasses import dataclass

from ai import registry
from sidecar._sql import query
from sidecar.caller import Caller
from sidecar.db import Database

_ROUTES = query("ai", "routes")


@dataclass(frozen=True)
class Route:
    credential: str
    upstream_model: str


def resolve(db: Database, caller: Caller, model: str) -> list[Route]:
    with db.transaction(caller.role) as tx:
        rows = tx.all(_ROUTES, {"workspace_id": caller.workspace_id, "model": model})
    if not rows:
        return [Route(registry.default_credential(), model)]
    return [Route(str(row["credential"]), str(row["upstream_model"])) for row in rows]

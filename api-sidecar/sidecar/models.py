"""What a workspace can call: its route names, then the default provider's models."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ai import registry
from sidecar._sql import query
from sidecar.caller import Caller
from sidecar.timing import Clock

if TYPE_CHECKING:
    from sidecar.services import Services

_ROUTE_NAMES = query("ai", "route_names")


def route_names(services: Services, caller: Caller) -> list[dict[str, object]]:
    with services.db.transaction(caller.role) as tx:
        return tx.all(_ROUTE_NAMES, {"workspace_id": caller.workspace_id})


def list_models(services: Services, clock: Clock, caller: Caller) -> list[str]:
    names = list(dict.fromkeys(str(row["model"]) for row in route_names(services, caller)))
    credential = registry.default_credential()
    provider = services.upstream.provider(caller, credential)
    for name in services.upstream.models(clock, provider, credential):
        if name not in names:
            names.append(name)
    return names

"""Which (credential, upstream model) pairs serve a model name in a workspace, in order.

The workspace's routes (api.ai_routes, as api.ai_route orders them) are read with the
caller's rights when the caller is identified; no route means the default provider with
the model name as given.
"""

from __future__ import annotations

from dataclasses import dataclass

from ai import registry
from sidecar.caller import Caller


@dataclass(frozen=True)
class Route:
    credential: str
    upstream_model: str


def resolve(caller: Caller, model: str) -> list[Route]:
    routes = [Route(cred, upstream) for name, cred, upstream in caller.routes if name == model]
    return routes or [Route(registry.default_credential(), model)]

"""Operations: /health (database reachable?) and /providers (owners and admins)."""

from __future__ import annotations

from flask import Blueprint, Response

from ai import registry
from ai.errors import ProviderError
from sidecar.errors import SidecarError
from sidecar.models import route_names
from sidecar.services import caller, clock, services
from sidecar.views._respond import answer

bp = Blueprint("admin", __name__)


@bp.get("/health")
def health() -> Response:
    """Database reachable? With this process's provider circuit breakers (open: failing)."""
    svc = services()
    ok = svc.db.ping()
    body = {
        "status": "ok" if ok else "degraded",
        "database": "ok" if ok else "unavailable",
        "breakers": svc.breakers.states(),
    }
    return answer(body, 200 if ok else 503)


@bp.get("/providers")
def providers() -> Response:
    svc, who = services(), caller()
    if not who.manages:
        raise SidecarError(403, "Only owners and admins of the workspace can see its providers")
    routes = route_names(svc, who)
    default = registry.default_credential()
    credentials = list(dict.fromkeys([default, *(str(r["credential"]) for r in routes)]))
    models: dict[str, object] = {}
    for credential in credentials:
        try:
            provider = svc.upstream.provider(who, credential)
            models[credential] = svc.upstream.models(clock(), provider, credential)
        except ProviderError as exc:
            models[credential] = {"error": exc.message, "kind": exc.kind.value}
    return answer(
        {
            "default_credential": default,
            "routes": routes,
            "models": models,
            "breakers": svc.breakers.states(),
        }
    )

"""The Flask application: `create_app(settings)` wires the process's services and areas.

Blueprints (under the configured prefix, default /api/ai): OpenAI-compatible, Anthropic-
compatible, prompts, admin. One error handler renders every error in the called
endpoint's shape (Anthropic's on /v1/messages, OpenAI's elsewhere). Every response says
how long Taproot itself took (`x-taproot-overhead-ms`).

Every request has an id (X-Request-Id, as the gateway's proxy forwards it, or a new one),
echoed in the response, set as the request.id GUC of its transactions, sent to the
providers it calls, and carried by its log records (taproot/logs.py); one
`sidecar.request` line per request says how it ended (for a stream: at its first event).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING

from flask import Flask, Response, g, request
from werkzeug.exceptions import HTTPException

from ai import registry
from ai.breaker import Breakers
from ai.errors import ProviderError
from ratelimit import sidecar as ratelimit
from ratelimit.limits import parse_limits
from sidecar import ledger, metrics
from sidecar.aio import Loop
from sidecar.caller import Authenticator
from sidecar.db import Database
from sidecar.errors import SidecarError, from_provider
from sidecar.services import EXTENSION, Services
from sidecar.settings import Settings
from sidecar.timing import Clock
from sidecar.views import admin, anthropic, openai, prompts
from sidecar.views._respond import answer
from taproot import logs

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

log = logging.getLogger("sidecar")
access_log = logging.getLogger("sidecar.request")


def create_app(settings: Settings) -> Flask:
    app = Flask("sidecar")
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    services = _services(settings)
    app.extensions[EXTENSION] = services
    for blueprint in (openai.bp, anthropic.bp, prompts.bp, admin.bp):
        app.register_blueprint(blueprint, url_prefix=settings.prefix)
    app.wsgi_app = _entered(app.wsgi_app)  # type: ignore[method-assign,assignment]
    app.before_request(_start_clock)
    app.after_request(_overhead)
    app.register_error_handler(Exception, _error)
    metrics.install(app)  # GET /metrics on the sidecar's own port, request timings
    if settings.rate_limit_enabled:
        _limit(app, settings, services)
    return app


def _limit(app: Flask, settings: Settings, services: Services) -> None:
    """The shared limiter on the AI endpoints, checked on this process's event loop."""
    timeout = 1.0
    backend = ratelimit.backend_for(
        settings.rate_limit_backend,
        settings.rate_limit_db_uri or settings.db_uri,
        tuple(settings.rate_limit_function.split(".")),
        timeout,
    )
    limiter = ratelimit.SidecarLimiter(
        caller=parse_limits("ai", settings.rate_limit_ai),
        ip=parse_limits("ai-ip", settings.rate_limit_ai_ip),
        trusted_hops=settings.trusted_proxies,
        backend=backend,
        run=lambda check: services.loop.run(check, timeout=timeout + 0.5),
        jwt_secret=settings.jwt_secret,
        jwt_aud=settings.jwt_aud,
    )
    ratelimit.install(app, limiter)


def _services(settings: Settings) -> Services:
    db = Database(
        settings.db_uri,
        size=settings.db_pool,
        timeout=settings.db_pool_timeout,
        secrets_key=settings.secrets_key,
    )
    loop = Loop()
    breakers = Breakers(
        fail_max=settings.breaker_fail_max, reset_timeout=settings.breaker_reset_seconds
    )
    upstream = metrics.MeteredUpstream(
        loop,
        db,
        breakers,
        secrets=settings.secrets_key is not None,
        attempts=settings.retry_attempts,
    )
    engine = metrics.MeteredEngine(
        db,
        upstream,
        settings.default_max_tokens,
        settings.reservation_ttl,
        ledger.Settler(db),
    )
    auth = Authenticator(db, settings.jwt_secret, settings.jwt_aud)
    return Services(settings, db, loop, breakers, upstream, engine, auth)


def start(app: Flask) -> None:
    """Open the pool and start the event loop (in each worker, after the fork)."""
    services: Services = app.extensions[EXTENSION]
    services.db.open()
    services.loop.start()
    if services.engine.settler is not None:
        services.engine.settler.start()


def stop(app: Flask) -> None:
    services: Services = app.extensions[EXTENSION]
    limiter = app.extensions.get("taproot-ratelimit")
    if limiter is not None:
        services.loop.run(limiter.backend.close(), timeout=5)
    services.loop.stop(registry.close_all)
    if services.engine.settler is not None:
        services.engine.settler.stop()  # settles what is queued first
    services.db.close()


_ENTERED = "taproot.entered"


def _entered(wsgi_app: WSGIApplication) -> WSGIApplication:
    """The WSGI app, noting when a request entered it: the overhead clock starts there,
    before Flask builds its request context and routes."""

    def entered(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        environ[_ENTERED] = time.perf_counter()
        return wsgi_app(environ, start_response)

    return entered


def _start_clock() -> None:
    g.started = request.environ.get(_ENTERED) or time.perf_counter()
    g.clock = Clock(g.started)
    # gunicorn's threads serve one request after another: each binds its own context
    context = logs.RequestContext(
        logs.accept_request_id(request.headers.get(logs.REQUEST_ID_HEADER)),
        logs.accept_traceparent(request.headers.get(logs.TRACEPARENT_HEADER)),
    )
    logs.bind(context)
    g.log_context = context


def _overhead(response: Response) -> Response:
    # For a stream this runs once the first upstream event is in: overhead to first byte.
    clock: Clock | None = g.get("clock")
    if clock is not None:
        response.headers["x-taproot-overhead-ms"] = f"{clock.overhead_ms():.1f}"
    context: logs.RequestContext | None = g.get("log_context")
    if context is not None:
        response.headers["x-request-id"] = context.request_id
        _log_request(context, response.status_code)
    return response


def _log_request(context: logs.RequestContext, status: int) -> None:
    level = logging.ERROR if status >= 500 else logging.WARNING if status >= 400 else logging.INFO
    if not access_log.isEnabledFor(level):
        return
    who = g.get("caller") or g.get("bare_caller")
    if who is not None and who.user_id is not None:
        context.user_id = str(who.user_id)
    ms = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000
    route = request.url_rule.rule if request.url_rule is not None else request.path
    access_log.log(
        level,
        "%s %s %s %.1f ms",
        request.method,
        request.path,
        status,
        ms,
        extra={
            "method": request.method,
            "route": route,
            "status": status,
            "duration_ms": round(ms, 2),
        },
    )


def _error(exc: Exception) -> Response:
    if isinstance(exc, ProviderError):
        exc = from_provider(exc)
    if isinstance(exc, HTTPException):
        exc = SidecarError(exc.code or 500, exc.description or exc.name)
    if not isinstance(exc, SidecarError):
        log.exception("unexpected error on %s %s", request.method, request.path)
        exc = SidecarError(500, "internal error", type="api_error")
    anthropic_shape = request.blueprint == "anthropic"
    body = exc.anthropic_body() if anthropic_shape else exc.openai_body()
    return answer(body, exc.status, exc.headers)

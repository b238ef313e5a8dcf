"""The Flask application: `create_app(settings)` wires the process's services and areas.

Blueprints (under the configured prefix, default /api/ai): OpenAI-compatible, Anthropic-
compatible, prompts, admin. One error handler renders every error in the called
endpoint's shape (Anthropic's on /v1/messages, OpenAI's elsewhere). Every response says
how long Taproot itself took (`x-taproot-overhead-ms`).
"""

from __future__ import annotations

import logging

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

log = logging.getLogger("sidecar")


def create_app(settings: Settings) -> Flask:
    app = Flask("sidecar")
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    services = _services(settings)
    app.extensions[EXTENSION] = services
    for blueprint in (openai.bp, anthropic.bp, prompts.bp, admin.bp):
        app.register_blueprint(blueprint, url_prefix=settings.prefix)
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


def _start_clock() -> None:
    g.clock = Clock()


def _overhead(response: Response) -> Response:
    # For a stream this runs once the first upstream event is in: overhead to first byte.
    clock: Clock | None = g.get("clock")
    if clock is not None:
        response.headers["x-taproot-overhead-ms"] = f"{clock.overhead_ms():.1f}"
    return response


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

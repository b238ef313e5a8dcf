"""The sidecar's door: the shared limiter on the AI endpoints, per caller and per IP.

The caller is the API key (a digest of it: keys are never stored) or the verified JWT's
`sub`; the IP comes from the socket or through `trusted_hops` proxies (the gateway's
proxy appends X-Forwarded-For). Checks run on the sidecar's event loop thread with the
same `PostgresBackend` and SQL function as the gateway. A refusal is a `SidecarError`
(429, OpenAI's or Anthropic's shape by the one error handler) with Retry-After; admitted
responses carry RateLimit-Policy and RateLimit. An unavailable limiter fails open.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any

import jwt
from flask import Flask, Response, g, request
from sidecar.errors import SidecarError

from ratelimit import fields
from ratelimit.backend import Backend, Decision, MemoryBackend, Unavailable
from ratelimit.keys import bounded, client_ip, digest
from ratelimit.limits import Limit, RoleLimits
from ratelimit.postgres import PostgresBackend

log = logging.getLogger("ratelimit")

LIMITED_BLUEPRINTS = frozenset({"openai", "anthropic", "prompts"})
API_KEY_PREFIX = "tpk_"
Runner = Callable[[Coroutine[Any, Any, Decision]], Decision]


class SidecarLimiter:
    def __init__(
        self,
        *,
        caller: RoleLimits,
        ip: RoleLimits,
        trusted_hops: int,
        backend: Backend,
        run: Runner,
        jwt_secret: str,
        jwt_aud: str | None,
    ) -> None:
        self.caller = caller
        self.ip = ip
        self.trusted_hops = trusted_hops
        self.backend = backend
        self._run = run
        self._secret = jwt_secret
        self._aud = jwt_aud
        self.counts = {"refused": 0, "open": 0}

    def _who(self, authorization: str | None, api_key: str | None) -> tuple[str | None, str | None]:
        """(role, caller key): the API key's digest, or the verified token's sub."""
        scheme, _, token = (authorization or "").strip().partition(" ")
        token = token.strip() if scheme.lower() == "bearer" else ""
        token = token or (api_key or "").strip()
        if not token:
            return None, None
        if token.startswith(API_KEY_PREFIX):
            return "authenticated", "key:" + digest(token)
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=["HS256", "HS384", "HS512"],
                audience=self._aud,
                options={"verify_aud": self._aud is not None},
                leeway=30,
            )
        except jwt.PyJWTError:
            return None, None  # the caller check answers 401; here it counts as its IP
        sub, role = claims.get("sub"), claims.get("role")
        return (
            role if isinstance(role, str) else None,
            "sub:" + sub if isinstance(sub, str) and sub else None,
        )

    def check(
        self, authorization: str | None, api_key: str | None, peer: str | None, forwarded: list[str]
    ) -> list[tuple[Limit, Decision]]:
        role, who = self._who(authorization, api_key)
        ip = client_ip(peer, forwarded, self.trusted_hops)
        checks: list[tuple[Limit, str]] = []
        limit = self.caller.for_role(role)
        if limit is not None and who is not None:
            checks.append((limit, bounded("ai:" + who)))
        limit = self.ip.for_role(role)
        if limit is not None:
            checks.append((limit, bounded("ai-ip:" + ip)))
        done: list[tuple[Limit, Decision]] = []
        for limit, key in checks:
            try:
                d = self._run(self.backend.check(key, limit.rate, limit.quota, 1.0))
            except (Unavailable, TimeoutError):
                self.counts["open"] += 1
                continue
            done.append((limit, d))
            if not d.allowed:
                self.counts["refused"] += 1
                raise _refusal(limit, done)
        return done


def _refusal(limit: Limit, done: list[tuple[Limit, Decision]]) -> SidecarError:
    headers = {k.decode(): v.decode() for k, v in fields.headers(done)}
    return SidecarError(
        429,
        f"Rate limit reached ({limit.quota} requests per {limit.window:g} s, {limit.name}); "
        f"retry in {headers.get('retry-after', '1')} s",
        type="rate_limit_error",
        code="rate_limit_exceeded",
        headers=headers,
    )


def backend_for(kind: str, dsn: str, function: tuple[str, ...], timeout: float) -> Backend:
    if kind == "memory":
        return MemoryBackend()
    return PostgresBackend(dsn, function, pool_size=4, timeout=timeout)


def install(app: Flask, limiter: SidecarLimiter) -> None:
    """Check before the AI endpoints' views; add the RateLimit fields to their answers."""

    def before() -> None:
        if request.method != "POST" or request.blueprint not in LIMITED_BLUEPRINTS:
            return
        g.ratelimit = limiter.check(
            request.headers.get("authorization"),
            request.headers.get("x-api-key"),
            request.remote_addr,
            request.headers.getlist("x-forwarded-for"),
        )

    def after(response: Response) -> Response:
        done = g.get("ratelimit")
        if done:
            for name, value in fields.headers(done):
                response.headers[name.decode()] = value.decode()
        return response

    app.before_request(before)
    app.after_request(after)
    app.extensions["taproot-ratelimit"] = limiter

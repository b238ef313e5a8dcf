"""The gateway's limiter and abuse-guard options, validated once (docs/rate-limits.md).

gateway/config.py owns option names and their PGRST_* variables; this module turns the
values into a `GatewayLimits`. The shared (PostgreSQL) tier is on only when
rate-limit-function names the SQL function (or rate-limit-backend is memory): the gateway
stays generic and works against schemas that have no limiter.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ratelimit.limits import RoleLimits, parse_limits

AUTH_RPCS = (
    "signup,login,refresh,change_password,request_password_reset,reset_password,"
    "verify_email,accept_invitation"
)

DEFAULTS: dict[str, str] = {
    "rate-limit-enabled": "true",
    "rate-limit-backend": "postgres",
    "rate-limit-function": "",
    "rate-limit-db-uri": "",
    "rate-limit-db-pool": "4",
    "rate-limit-timeout-ms": "1000",
    "rate-limit-trusted-proxies": "0",
    "rate-limit-flood": "1000/1s",
    "rate-limit-max-concurrent": "100",
    "rate-limit-auth": "60/60s",
    "rate-limit-auth-email": "10/60s",
    "rate-limit-auth-rpcs": AUTH_RPCS,
    "rate-limit-invite": "30/60s",
    "rate-limit-invite-rpcs": "invite_member",
    "rate-limit-expensive": "60/60s",
    "rate-limit-expensive-rpcs": "",
    "server-max-url-bytes": "16384",
    "server-max-header-bytes": "32768",
    "server-header-timeout": "10",
    "server-request-deadline": "60",
    "server-security-headers": "true",
}


class OptionError(ValueError):
    def __init__(self, option: str, message: str) -> None:
        super().__init__(message)
        self.option = option


@dataclass(frozen=True)
class RouteClass:
    """RPCs limited together in the shared tier, per client and optionally per email."""

    name: str
    client: RoleLimits
    email: RoleLimits | None
    fail_closed: bool


@dataclass(frozen=True)
class GatewayLimits:
    enabled: bool = True
    backend: str = "postgres"
    function: tuple[str, ...] | None = None
    db_uri: str | None = None
    db_pool: int = 4
    timeout: float = 1.0
    trusted_hops: int = 0
    flood: RoleLimits = field(default_factory=lambda: parse_limits("flood", "1000/1s"))
    max_concurrent: int = 100
    rpcs: dict[str, RouteClass] = field(default_factory=dict)
    max_url_bytes: int = 16384
    max_header_bytes: int = 32768
    header_timeout: float = 10.0
    deadline: float = 60.0
    security_headers: bool = True

    @property
    def active(self) -> bool:
        """Whether the gateway needs its front door at all (else it is skipped, cost 0)."""
        return self.enabled or bool(self.max_concurrent or self.deadline or self.security_headers)

    @property
    def shared(self) -> bool:
        return (
            self.enabled
            and bool(self.rpcs)
            and (self.function is not None or self.backend == "memory")
        )


def _int(option: str, value: str, minimum: int = 0) -> int:
    try:
        number = int(value)
    except ValueError:
        raise OptionError(option, f"expected an integer, got {value!r}") from None
    if number < minimum:
        raise OptionError(option, f"must be >= {minimum}, got {number}")
    return number


def _bool(option: str, value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("true", "on", "yes", "1"):
        return True
    if lowered in ("false", "off", "no", "0"):
        return False
    raise OptionError(option, f"expected true or false, got {value!r}")


def _limits(option: str, name: str, value: str) -> RoleLimits:
    try:
        return parse_limits(name, value)
    except ValueError as exc:
        raise OptionError(option, str(exc)) from None


def _names(value: str) -> list[str]:
    return [n.strip() for n in value.split(",") if n.strip()]


def _function(value: str) -> tuple[str, ...] | None:
    if not value.strip():
        return None
    parts = tuple(p.strip().strip('"') for p in value.split("."))
    if not 1 <= len(parts) <= 2 or not all(parts):
        raise OptionError(
            "rate-limit-function", f"expected a function name like schema.name, got {value!r}"
        )
    return parts


def load(values: Mapping[str, str]) -> GatewayLimits:
    """`values` holds every option of DEFAULTS (the gateway's merged configuration)."""
    v = {**DEFAULTS, **values}
    backend = v["rate-limit-backend"].strip()
    if backend not in ("postgres", "memory"):
        raise OptionError("rate-limit-backend", f"expected postgres or memory, got {backend!r}")
    rpcs: dict[str, RouteClass] = {}
    # later classes win for a name listed twice: expensive, then invitations, then auth
    for cls, fail_closed in (("expensive", False), ("invite", False), ("auth", True)):
        client = _limits(f"rate-limit-{cls}", cls, v[f"rate-limit-{cls}"])
        email = (
            _limits("rate-limit-auth-email", "auth-email", v["rate-limit-auth-email"])
            if cls == "auth"
            else None
        )
        for name in _names(v[f"rate-limit-{cls}-rpcs"]):
            rpcs[name] = RouteClass(cls, client, email, fail_closed)
    return GatewayLimits(
        enabled=_bool("rate-limit-enabled", v["rate-limit-enabled"]),
        backend=backend,
        function=_function(v["rate-limit-function"]),
        db_uri=v["rate-limit-db-uri"].strip() or None,
        db_pool=_int("rate-limit-db-pool", v["rate-limit-db-pool"], 1),
        timeout=_int("rate-limit-timeout-ms", v["rate-limit-timeout-ms"], 1) / 1000,
        trusted_hops=_int("rate-limit-trusted-proxies", v["rate-limit-trusted-proxies"]),
        flood=_limits("rate-limit-flood", "flood", v["rate-limit-flood"]),
        max_concurrent=_int("rate-limit-max-concurrent", v["rate-limit-max-concurrent"], 0),
        rpcs=rpcs,
        max_url_bytes=_int("server-max-url-bytes", v["server-max-url-bytes"], 256),
        max_header_bytes=_int("server-max-header-bytes", v["server-max-header-bytes"], 1024),
        header_timeout=float(_int("server-header-timeout", v["server-header-timeout"], 0)),
        deadline=float(_int("server-request-deadline", v["server-request-deadline"], 0)),
        security_headers=_bool("server-security-headers", v["server-security-headers"]),
    )

"""Limits as operators write them: `<quota>/<window>`, with per-role overrides.

`60/60s` admits bursts of 60 and refills at 60 per 60 s (GCRA: rate = quota / window,
burst = quota). A value may carry role overrides after commas:
`60/60s, authenticated=120/60s, service_role=off`. `off` disables a limit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "": 1.0}
_SPEC = re.compile(r"^\s*(\d+)\s*/\s*(\d+(?:\.\d+)?)?\s*(ms|s|m|h|)\s*$")


@dataclass(frozen=True, slots=True)
class Limit:
    """`quota` requests per `window` seconds, as the RateLimit-Policy field names them."""

    name: str
    quota: int
    window: float

    @property
    def rate(self) -> float:
        return self.quota / self.window


@dataclass(frozen=True, slots=True)
class RoleLimits:
    """The limit of one route class: a default and per-role overrides (None = unlimited)."""

    default: Limit | None
    by_role: dict[str, Limit | None] = field(default_factory=dict)

    def for_role(self, role: str | None) -> Limit | None:
        if role is not None and role in self.by_role:
            return self.by_role[role]
        return self.default


def parse_limit(name: str, text: str) -> Limit | None:
    text = text.strip()
    if text.lower() in ("off", "none", "0"):
        return None
    match = _SPEC.match(text)
    if not match:
        raise ValueError(f"expected <quota>/<window> like 60/60s or off, got {text!r}")
    quota = int(match.group(1))
    window = float(match.group(2) or 1) * _UNITS[match.group(3)]
    if quota < 1 or window <= 0:
        raise ValueError(f"a limit needs a quota >= 1 and a positive window, got {text!r}")
    return Limit(name, quota, window)


def parse_limits(name: str, text: str) -> RoleLimits:
    """`60/60s, authenticated=120/60s, service_role=off` → RoleLimits."""
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if not parts:
        return RoleLimits(None)
    default: Limit | None = None
    by_role: dict[str, Limit | None] = {}
    for part in parts:
        role, eq, spec = part.partition("=")
        if eq:
            if not role.strip():
                raise ValueError(f"a role override needs a role name, got {part!r}")
            by_role[role.strip()] = parse_limit(name, spec)
        else:
            default = parse_limit(name, part)
    return RoleLimits(default, by_role)

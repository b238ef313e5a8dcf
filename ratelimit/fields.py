"""The answer's fields: Retry-After and the IETF RateLimit-Policy and RateLimit fields.

draft-ietf-httpapi-ratelimit-headers (structured fields): `RateLimit-Policy: "auth";q=60;w=60`
names each policy with its quota and window; `RateLimit: "auth";r=42;t=5` gives the
quota remaining and the seconds until it is whole again (for a refused request, until
the next request would be admitted).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from ratelimit.backend import Decision
from ratelimit.limits import Limit

Headers = list[tuple[bytes, bytes]]


def _seconds(value: float) -> int:
    return max(0, math.ceil(value - 1e-9))


def retry_after(seconds: float) -> bytes:
    return str(max(1, math.ceil(seconds))).encode()


def policy_value(limits: Sequence[Limit]) -> str:
    return ", ".join(f'"{lim.name}";q={lim.quota};w={_seconds(lim.window)}' for lim in limits)


def state_value(checks: Sequence[tuple[Limit, Decision]]) -> str:
    items = []
    for lim, d in checks:
        reset = d.reset_after if d.allowed else d.retry_after
        items.append(f'"{lim.name}";r={max(0, d.remaining)};t={_seconds(reset)}')
    return ", ".join(items)


def headers(checks: Sequence[tuple[Limit, Decision]]) -> Headers:
    """RateLimit-Policy and RateLimit for the checks made; Retry-After when one refused."""
    if not checks:
        return []
    out: Headers = [
        (b"ratelimit-policy", policy_value([lim for lim, _ in checks]).encode()),
        (b"ratelimit", state_value(checks).encode()),
    ]
    refused = [d.retry_after for _, d in checks if not d.allowed]
    if refused:
        out.append((b"retry-after", retry_after(max(refused))))
    return out

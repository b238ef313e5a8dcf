"""Rate limiting and abuse guards shared by Taproot's two front doors (gateway, sidecar).

Two tiers with one interface (`Backend.check(key, rate, burst, cost) → Decision`):
an in-process GCRA flood guard on every route (`MemoryBackend`, no round trip) and an
exact GCRA shared by every process and machine in PostgreSQL (`PostgresBackend`, one
autocommit upsert per check on a small pool of its own). `gateway` and `sidecar` adapt
them to the two front doors; `fields` renders 429s' Retry-After and the IETF RateLimit
fields; `slowloris` bounds how long and how large a request's head may be.
"""

from ratelimit.backend import Backend, Decision, MemoryBackend, Unavailable
from ratelimit.limits import Limit, RoleLimits, parse_limits

__all__ = [
    "Backend",
    "Decision",
    "Limit",
    "MemoryBackend",
    "RoleLimits",
    "Unavailable",
    "parse_limits",
]

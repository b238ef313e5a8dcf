"""The backend interface and its in-memory implementation (GCRA per key, one process).

GCRA keeps one number per key, the theoretical arrival time (TAT): a request costing
`cost` is admitted when `max(TAT, now) + cost/rate - now <= burst/rate`. A refused request
takes nothing. A Redis backend would be a third implementation of `Backend.check`: one
Lua script doing the same compare-and-set on a key holding the TAT (server time from
`TIME`), returning the four fields of `Decision`.
"""

from __future__ import annotations

import time
from typing import NamedTuple, Protocol

MAX_KEYS = 100_000


class Decision(NamedTuple):
    allowed: bool
    remaining: int  # requests still admitted at once after this one
    retry_after: float  # seconds until this request would be admitted (0 when it was)
    reset_after: float  # seconds until the full quota is available again


class Unavailable(Exception):
    """The backend cannot answer (its database is down, slow or misconfigured)."""


class Backend(Protocol):
    async def check(self, key: str, rate: float, burst: float, cost: float = 1.0) -> Decision: ...

    async def close(self) -> None: ...


class MemoryBackend:
    """Exact within one process, N times the limit across N processes (by design)."""

    __slots__ = ("_tat",)

    def __init__(self) -> None:
        self._tat: dict[str, float] = {}

    def take(self, key: str, rate: float, burst: float, cost: float, now: float) -> Decision:
        step = cost / rate
        span = burst / rate
        tats = self._tat
        tat = tats.get(key, now)
        tat = max(tat, now)
        new = tat + step
        if new - now > span + 1e-9:
            return Decision(
                False, max(0, int((span - (tat - now)) * rate)), new - span - now, tat - now
            )
        if len(tats) >= MAX_KEYS and key not in tats:
            self.prune(now)
        tats[key] = new
        return Decision(True, int((span - (new - now)) * rate + 1e-6), 0.0, new - now)

    def prune(self, now: float) -> int:
        """Forget keys whose quota has fully recovered."""
        gone = [k for k, tat in self._tat.items() if tat <= now]
        for k in gone:
            del self._tat[k]
        return len(gone)

    async def check(self, key: str, rate: float, burst: float, cost: float = 1.0) -> Decision:
        return self.take(key, rate, burst, cost, time.monotonic())

    async def close(self) -> None:
        self._tat.clear()

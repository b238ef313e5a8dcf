"""Where a request's time goes: Taproot's own overhead versus time spent upstream.

`x-taproot-overhead-ms` = elapsed - upstream. Elapsed starts when the request enters the
WSGI application (before Flask's own routing); upstream is measured on the event loop
around each provider call (retries and their back-off included), so everything else —
the request thread's hand-offs to the loop included — counts as Taproot's. For a stream
the header is written when the first upstream event has arrived, so there it is the
overhead up to the first byte.
"""

from __future__ import annotations

import time


class Clock:
    __slots__ = ("started", "upstream")

    def __init__(self, started: float | None = None) -> None:
        self.started = time.perf_counter() if started is None else started
        self.upstream = 0.0  # seconds spent waiting for providers

    def spent_upstream(self, began: float) -> None:
        """Count the time since `began` (a perf_counter reading) as the provider's.

        Called on the event loop around the provider call itself, so the hand-offs between
        the request thread and the loop count as Taproot's own time, not the provider's."""
        self.upstream += time.perf_counter() - began

    def elapsed_ms(self) -> int:
        return round((time.perf_counter() - self.started) * 1000)

    def overhead_ms(self) -> float:
        return max(0.0, (time.perf_counter() - self.started - self.upstream) * 1000)

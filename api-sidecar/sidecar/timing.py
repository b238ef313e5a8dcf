"""Where a request's time goes: Taproot's own overhead versus time spent upstream.

`x-taproot-overhead-ms` = elapsed - upstream. For a stream the header is written when
the first upstream event has arrived, so there it is the overhead up to the first byte.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager


class Clock:
    __slots__ = ("started", "upstream")

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.upstream = 0.0  # seconds spent waiting for providers

    @contextmanager
    def waiting_upstream(self) -> Iterator[None]:
        began = time.perf_counter()
        try:
            yield
        finally:
            self.upstream += time.perf_counter() - began

    def elapsed_ms(self) -> int:
        return round((time.perf_counter() - self.started) * 1000)

    def overhead_ms(self) -> float:
        return max(0.0, (time.perf_counter() - self.started - self.upstream) * 1000)

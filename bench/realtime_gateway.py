"""`python -m bench.realtime_gateway`: `python -m gateway`, with its garbage collections timed.

uvicorn starts its worker processes with multiprocessing's spawn, which imports this module
again in each of them (as `__mp_main__`), so the hook below runs in every worker: each
full (generation 2) or slow (> 5 ms) collection is appended to `$TAPROOT_BENCH_GC_LOG.<pid>`
(one line: wall time at its end, generation, milliseconds, objects collected).
Nothing else differs from `python -m gateway`.
"""

from __future__ import annotations

import gc
import os
import sys
import time
from typing import Any

_started = [0.0]
_log = os.environ.get("TAPROOT_BENCH_GC_LOG")


def _hook(phase: str, info: dict[str, Any]) -> None:
    if phase == "start":
        _started[0] = time.perf_counter()
        return
    ms = (time.perf_counter() - _started[0]) * 1000
    generation = int(info["generation"])
    if generation == 2 or ms > 5:
        with open(f"{_log}.{os.getpid()}", "a") as out:
            out.write(f"{time.time():.3f} {generation} {ms:.2f} {info['collected']}\n")


if _log:
    gc.callbacks.append(_hook)


if __name__ == "__main__":
    from gateway.__main__ import main

    sys.exit(main())

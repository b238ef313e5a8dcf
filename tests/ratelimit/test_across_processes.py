"""The shared limit holds across processes and gateways; the in-memory one cannot.

A gateway with four worker processes and a second gateway on another port (a second
machine's stand-in) share one client key (the loopback address) on an auth route, hit by
many concurrent clients for several seconds: the admitted requests stay within
burst + rate * elapsed + 1 and reach 90 % of it. One worker is SIGKILLed midway.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import requests

from taproot.database import Database
from tests.ratelimit.conftest import Server

QUOTA, WINDOW = 40, 4.0  # burst 40, rate 10/s
RATE = QUOTA / WINDOW
CLIENTS = 16


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def _hammer(
    urls: list[str], seconds: float, kill: Callable[[], None] | None
) -> tuple[Counter[int], float]:
    codes: Counter[int] = Counter()
    lock = threading.Lock()
    start = time.monotonic()
    stop = start + seconds
    last = [start]

    def client(n: int) -> None:
        with requests.Session() as session:
            while time.monotonic() < stop:
                try:
                    status = session.post(
                        urls[n % len(urls)] + "/rpc/login", json={}, timeout=10
                    ).status_code
                except requests.RequestException:
                    status = 0  # a connection to the killed worker
                with lock:
                    codes[status] += 1
                    last[0] = time.monotonic()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for t in threads:
        t.start()
    if kill is not None:
        time.sleep(seconds / 2)
        kill()
    for t in threads:
        t.join()
    return codes, last[0] - start


def _admitted(codes: Counter[int]) -> int:
    return sum(n for status, n in codes.items() if status not in (0, 429))


def test_shared_limit_holds(app_db: Database, start_gateway: Callable[..., Server]) -> None:
    limit = {"PGRST_RATE_LIMIT_AUTH": f"{QUOTA}/{WINDOW:g}s"}
    a = start_gateway(app_db, PGRST_SERVER_WORKERS="4", **limit)
    b = start_gateway(app_db, **limit)
    workers = _children(a.process.pid)

    def kill_one() -> None:
        assert len(workers) >= 4, workers
        os.kill(workers[0], signal.SIGKILL)

    codes, elapsed = _hammer([a.url, b.url], 6.0, kill_one)
    bound = QUOTA + RATE * elapsed + 1
    admitted = _admitted(codes)
    assert not [s for s in codes if s >= 500], codes
    assert codes[429] > admitted, codes  # the load was well above the limit
    assert admitted <= bound, (admitted, bound, codes)
    assert admitted >= 0.9 * bound, (admitted, bound, codes)
    # both gateways still serve
    for gw in (a, b):
        assert requests.get(gw.url + "/ready", timeout=10).status_code == 200


def test_memory_backend_exceeds_the_bound(
    app_db: Database, start_gateway: Callable[..., Server]
) -> None:
    limit = {"PGRST_RATE_LIMIT_AUTH": f"{QUOTA}/{WINDOW:g}s", "PGRST_RATE_LIMIT_BACKEND": "memory"}
    a = start_gateway(app_db, PGRST_SERVER_WORKERS="4", **limit)
    b = start_gateway(app_db, **limit)
    codes, elapsed = _hammer([a.url, b.url], 3.0, None)
    assert _admitted(codes) > QUOTA + RATE * elapsed + 1, codes

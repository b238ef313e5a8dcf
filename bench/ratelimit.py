"""Rate limiter benchmarks → bench/reports/ratelimit.md.

1. Gateway GET by primary key (`/items?id=eq.N`, wrk, 50 connections, two worker
   processes) with the front door on (flood guard, concurrency cap, deadline, security
   headers; the flood limit raised so nothing is refused) and off (skipped entirely).
2. The shared limiter alone: `PostgresBackend.check` (one autocommit call of
   ratelimit.check on its own asyncpg pool) from 16 concurrent tasks, on one hot key and on
   100,000 keys: checks/s, p50 and p99.

`python -m bench.ratelimit [--seconds N]`
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import statistics
import time
from collections.abc import Iterator
from pathlib import Path

from bench.harness import HttpResult, ensure_tools, machine, stack, wrk
from ratelimit.postgres import PostgresBackend

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "bench" / "fixtures.sql"
REPORT = ROOT / "bench" / "reports" / "ratelimit.md"
LUA = (
    'request = function()\n  return wrk.format("GET", "/items?id=eq." .. math.random(1, 12))\nend\n'
)
ON = {"PGRST_RATE_LIMIT_FLOOD": "100000000/1s"}
OFF = {
    "PGRST_RATE_LIMIT_ENABLED": "false",
    "PGRST_RATE_LIMIT_MAX_CONCURRENT": "0",
    "PGRST_SERVER_REQUEST_DEADLINE": "0",
    "PGRST_SERVER_SECURITY_HEADERS": "false",
}
LIMITER_SQL = """
CREATE SCHEMA IF NOT EXISTS app;
CREATE UNLOGGED TABLE IF NOT EXISTS app.rate_limits
    (key text PRIMARY KEY, tat timestamptz NOT NULL);
"""


@contextlib.contextmanager
def _env(values: dict[str, str]) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def gateway(seconds: int, rounds: int) -> tuple[list[HttpResult], list[HttpResult]]:
    on: list[HttpResult] = []
    off: list[HttpResult] = []
    # Interleaved: the first stack of a run is measurably faster (a fresh cluster), which
    # alone made "on" look 12 % slower when all "off" rounds came first.
    for setting, results in ((ON, on), (OFF, off), (ON, on), (OFF, off)):
        with _env(setting), stack(FIXTURE, schemas="bench", anon_role="bench_anon", workers=2) as s:
            wrk(s.base_url, LUA, 50, 2)  # warm-up
            for _ in range(rounds):
                results.append(wrk(s.base_url, LUA, 50, seconds))
    return on, off


async def _drive(backend: PostgresBackend, keys: int, seconds: float, tasks: int) -> list[float]:
    latencies: list[float] = []
    stop = time.monotonic() + seconds

    async def one() -> None:
        while time.monotonic() < stop:
            key = "bench:hot" if keys == 1 else f"bench:{random.randrange(keys)}"
            t0 = time.perf_counter()
            await backend.check(key, 1e6, 1e6, 1.0)
            latencies.append(time.perf_counter() - t0)

    await asyncio.gather(*(one() for _ in range(tasks)))
    return latencies


def shared(seconds: int) -> list[tuple[str, float, float, float]]:
    rows = []
    with stack(FIXTURE, schemas="bench", anon_role="bench_anon", workers=1) as s:
        with s.admin.connect() as conn:
            conn.execute(LIMITER_SQL)
            conn.execute((ROOT / "deploy" / "ratelimit_check.sql").read_text())

        async def run() -> None:
            backend = PostgresBackend(s.tcp_url, pool_size=8, timeout=5.0)
            try:
                await _drive(backend, 1, 1.0, 16)  # warm-up
                for label, keys in (("one hot key", 1), ("100,000 keys", 100_000)):
                    lat = await _drive(backend, keys, float(seconds), 16)
                    q = statistics.quantiles(lat, n=100)
                    rows.append((label, len(lat) / seconds, q[49] * 1000, q[98] * 1000))
            finally:
                await backend.close()

        asyncio.run(run())
    return rows


def report(
    on: list[HttpResult],
    off: list[HttpResult],
    rows: list[tuple[str, float, float, float]],
    seconds: int,
) -> str:
    on_rps = statistics.median(r.rps for r in on)
    off_rps = statistics.median(r.rps for r in off)
    lines = [
        "# Rate limiter benchmarks",
        "",
        f"Machine: {machine()}. `python -m bench.ratelimit --seconds {seconds}`; wrk and the",
        "gateway share the cores (no taskset), so compare the ratio, not the absolute figures.",
        "",
        "## Gateway GET by primary key, front door on vs off",
        "",
        "`GET /items?id=eq.N` (12-row table), wrk 50 connections, 2 threads, gateway with 2",
        "worker processes. *On*: flood guard (limit raised so nothing is refused), concurrency",
        "cap, request deadline, security headers. *Off*: the front door is skipped entirely.",
        "",
        "| front door | runs (req/s) | median req/s | p50 ms | p99 ms | non-2xx |",
        "|---|---|---|---|---|---|",
    ]
    for name, results, rps in (("off", off, off_rps), ("on", on, on_rps)):
        runs = ", ".join(f"{r.rps:,.0f}" for r in results)
        p50 = statistics.median(r.p50_ms for r in results)
        p99 = statistics.median(r.p99_ms for r in results)
        non2xx = sum(r.non_2xx for r in results)
        lines.append(f"| {name} | {runs} | {rps:,.0f} | {p50:.2f} | {p99:.2f} | {non2xx} |")
    lines += [
        "",
        f"Cost of the in-process tier: **{(1 - on_rps / off_rps) * 100:.1f} %** of throughput"
        " (median of the runs; the budget is 5 %).",
        "",
        "## Shared limiter (PostgreSQL), checks alone",
        "",
        "`PostgresBackend.check` → `SELECT … FROM ratelimit.check($1,$2,$3,$4)` in autocommit,"
        " pool of 8, 16 concurrent tasks in one process (asyncpg, uvloop not used).",
        "",
        "| keys | checks/s | p50 ms | p99 ms |",
        "|---|---|---|---|",
    ]
    lines += [f"| {label} | {cps:,.0f} | {p50:.3f} | {p99:.3f} |" for label, cps, p50, p99 in rows]
    lines += [
        "",
        "Anchor (docs/PERFORMANCE.md): about 0.17 ms p50 and 10k checks/s on one hot key."
        " A hot key serializes on its row lock, so its throughput is bounded by one"
        " upsert's lock hold time; many keys spread over rows and are bounded by the"
        " client's CPU (one Python process here).",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    ensure_tools()
    rows = shared(args.seconds)
    on, off = gateway(args.seconds, args.rounds)
    text = report(on, off, rows, args.seconds)
    REPORT.write_text(text)
    print(text)


if __name__ == "__main__":
    main()

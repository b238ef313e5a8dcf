"""The workers' metrics (prometheus-client, multiprocess across worker processes).

- taproot_job_duration_seconds{task,outcome}: one job run, by outcome (succeeded, failed,
  retry, aborted, cancelled)
- worker_db_pool_connections{state}: open, in_use, idle, waiting, max
- taproot_worker_heartbeat_timestamp_seconds: when a live worker loop last beat (the
  newest of the live processes; the alert fires when it stops moving or disappears)
- taproot_ai_* {component="worker"} (telemetry.ai): provider calls, latency, errors by
  kind, billed answers by cache result, tokens, cost, open circuits
- on the worker's own endpoint, the job queue as PostgreSQL sees it (telemetry.queue)

TAPROOT_WORKER_METRICS_PORT (default unset: no listener) serves GET /metrics on
TAPROOT_WORKER_METRICS_HOST (default 127.0.0.1); worker processes of one host that share
PROMETHEUS_MULTIPROC_DIR need one listener: the first takes the port, the others skip it.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import time
from collections.abc import Awaitable, Callable
from typing import Any, ParamSpec, TypeVar

from procrastinate.exceptions import JobAborted
from prometheus_client import Gauge, Histogram

import telemetry
from telemetry import ai
from workers.retry import RetryLater

log = logging.getLogger("workers.metrics")
COMPONENT = "worker"
P = ParamSpec("P")
R = TypeVar("R")

JOB_DURATION = Histogram(
    "taproot_job_duration_seconds",
    "Job run time, by task and outcome.",
    ["task", "outcome"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0),
)
POOL = Gauge(
    "worker_db_pool_connections",
    "Database pool connections by state (open, in_use, idle, waiting, max).",
    ["state"],
    multiprocess_mode="livesum",
)
HEARTBEAT = Gauge(
    "taproot_worker_heartbeat_timestamp_seconds",
    "Unix time of the newest beat of a live worker loop.",
    multiprocess_mode="livemax",
)


def timed(task: str) -> Callable[[Callable[P, Awaitable[R]]], Callable[P, Awaitable[R]]]:
    """Wrap a task function: its run time by outcome."""

    def wrap(fn: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
        @functools.wraps(fn)
        async def run(*args: P.args, **kwargs: P.kwargs) -> R:
            started = time.perf_counter()
            outcome = "failed"
            try:
                result = await fn(*args, **kwargs)
                outcome = "succeeded"
                return result
            except RetryLater:
                outcome = "retry"
                raise
            except JobAborted:
                outcome = "aborted"
                raise
            except BaseException as exc:
                outcome = "cancelled" if _cancelled(exc) else "failed"
                raise
            finally:
                JOB_DURATION.labels(task, outcome).observe(time.perf_counter() - started)

        return run

    return wrap


def _cancelled(exc: BaseException) -> bool:
    return isinstance(exc, asyncio.CancelledError)


class Sampling:
    """One per worker process: pool, breakers and heartbeat gauges (sampled on the worker's
    own event loop, so a stuck loop stops the heartbeat), and the listener."""

    def __init__(self) -> None:
        self._served = False

    def sample(self, pool: Any, breakers: Any) -> None:
        HEARTBEAT.set(time.time())
        stats = pool.get_stats()
        size, available = stats.get("pool_size", 0), stats.get("pool_available", 0)
        for state, value in (
            ("open", size),
            ("in_use", size - available),
            ("idle", available),
            ("waiting", stats.get("requests_waiting", 0)),
            ("max", pool.max_size),
        ):
            POOL.labels(state).set(value)
        ai.breakers(COMPONENT, breakers.states())

    async def run(self, pool: Any, breakers: Any, db_uri: str, interval: float = 1.0) -> None:
        """Until cancelled (when the worker loop stops)."""
        self._listen(db_uri)
        while True:
            with contextlib.suppress(Exception):  # a sample never stops the worker
                self.sample(pool, breakers)
            await asyncio.sleep(interval)

    def _listen(self, db_uri: str) -> None:
        port = os.environ.get("TAPROOT_WORKER_METRICS_PORT")
        if not port or self._served:
            return
        from telemetry.queue import QueueStats

        host = os.environ.get("TAPROOT_WORKER_METRICS_HOST", "127.0.0.1")
        self._served = True
        if telemetry.serve(int(port), host, [QueueStats(db_uri, "worker")]):
            log.info("metrics on http://%s:%s/metrics", host, port)
        else:
            log.info("metrics port %s taken: a sibling worker serves this host", port)


SAMPLING = Sampling()

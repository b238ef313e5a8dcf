"""The job queue as PostgreSQL sees it, read at scrape time (app.job_queue_stats).

A custom collector, registered only by the process that answers a scrape (never written to
the multiprocess files): one short connection with a statement timeout, its result reused
for a few seconds so scrapes from several Prometheus servers cost one query.

- taproot_jobs{queue,status}: jobs by status (todo, doing, succeeded, failed, cancelled,
  aborted)
- taproot_jobs_runnable{queue}: todo jobs whose time has come
- taproot_job_queue_lag_seconds{queue}: age of the oldest runnable job
- taproot_job_stats_up: 1 when the statistics could be read, else 0
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from typing import Any

import psycopg
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from taproot.sqlfiles import named_queries

STATUSES = ("todo", "doing", "succeeded", "failed", "cancelled", "aborted")


class QueueStats(Collector):
    def __init__(
        self, dsn: str, role: str | None, *, timeout: float = 1.0, ttl: float = 5.0
    ) -> None:
        self._dsn = dsn
        self._options = f"-c statement_timeout={int(timeout * 1000)}"
        if role:
            self._options += f" -c role={role}"
        self._timeout = timeout
        self._ttl = ttl
        self._lock = threading.Lock()
        self._cached: tuple[float, list[tuple[Any, ...]] | None] = (0.0, None)

    def _read(self) -> list[tuple[Any, ...]] | None:
        with self._lock:
            at, rows = self._cached
            if time.monotonic() - at < self._ttl:
                return rows
            try:
                with psycopg.connect(
                    self._dsn,
                    connect_timeout=max(1, round(self._timeout)),
                    options=self._options,
                    application_name="taproot-metrics",
                    autocommit=True,
                ) as conn:
                    rows = conn.execute(named_queries("telemetry", "queue")["stats"]).fetchall()
            except psycopg.Error:
                rows = None
            self._cached = (time.monotonic(), rows)
            return rows

    def collect(self) -> Iterable[Metric]:
        rows = self._read()
        up = GaugeMetricFamily("taproot_job_stats_up", "1 when app.job_queue_stats was read.")
        up.add_metric([], 0 if rows is None else 1)
        yield up
        if rows is None:
            return
        jobs = GaugeMetricFamily(
            "taproot_jobs", "Jobs by queue and status.", labels=["queue", "status"]
        )
        runnable = GaugeMetricFamily(
            "taproot_jobs_runnable", "Jobs ready to run now.", labels=["queue"]
        )
        lag = GaugeMetricFamily(
            "taproot_job_queue_lag_seconds",
            "Age of the oldest runnable job (0 when none waits).",
            labels=["queue"],
        )
        for row in rows:
            queue = str(row[0])
            for status, count in zip(STATUSES, row[1:7], strict=True):
                jobs.add_metric([queue, status], float(count))
            runnable.add_metric([queue], float(row[7]))
            lag.add_metric([queue], float(row[8]))
        yield jobs
        yield runnable
        yield lag

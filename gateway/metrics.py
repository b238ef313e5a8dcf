"""The gateway's metrics (prometheus-client) and GET /metrics.

Every worker process writes its samples to PROMETHEUS_MULTIPROC_DIR (see `telemetry`), so a
scrape of /metrics, answered by whichever process accepts it, covers all of them; under
`taproot up` it covers the sidecar and the workers too (TAPROOT_METRICS_GROUP_DIR).

- gateway_requests_total{route,method,status}, gateway_request_duration_seconds{...}:
  every HTTP answer, by route class (table, rpc, openapi, realtime, ai, health, metrics,
  other) rather than raw path; a stream's duration is its lifetime
- gateway_db_pool_connections{state}: open, in_use, idle, waiting, max (summed over
  the live processes)
- gateway_schema_cache_reloads_total{outcome}, gateway_schema_cache_age_seconds
- gateway_realtime_subscribers, gateway_realtime_events_total{kind},
  gateway_realtime_deliveries_total{kind}: open streams, events fanned out, frames queued
  (counted per matching channel subscription)
- taproot_ratelimit_total{outcome}: the front door's decisions (flood, concurrency, shared,
  closed, open)
- PostgREST's own names, for dashboards built for it: pgrst_db_pool_available,
  pgrst_db_pool_waiting, pgrst_db_pool_max, pgrst_db_pool_timeouts_total,
  pgrst_schema_cache_loads_total{status=SUCCESS|FAIL}, pgrst_schema_cache_query_time_seconds
- with TAPROOT_METRICS_QUEUE_ROLE set, the job queue as PostgreSQL sees it (telemetry.queue)
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from prometheus_client import Counter, Gauge, Histogram
from prometheus_client.registry import Collector

import telemetry

if TYPE_CHECKING:
    from gateway.realtime.hub import Hub
    from gateway.schema_cache import Reloader
    from gateway.tx import Database
    from ratelimit.gateway import FrontDoor

BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
SAMPLE_SECONDS = 1.0
QUEUE_ROLE_VAR = "TAPROOT_METRICS_QUEUE_ROLE"

REQUESTS = Counter(
    "gateway_requests_total",
    "HTTP requests answered, by route class, method and status.",
    ["route", "method", "status"],
)
DURATION = Histogram(
    "gateway_request_duration_seconds",
    "Time from request to the end of the response, by route class, method and status.",
    ["route", "method", "status"],
    buckets=BUCKETS,
)
POOL = Gauge(
    "gateway_db_pool_connections",
    "Database pool connections by state (open, in_use, idle, waiting, max).",
    ["state"],
    multiprocess_mode="livesum",
)
RELOADS = Counter(
    "gateway_schema_cache_reloads_total", "Schema cache (re)loads, by outcome.", ["outcome"]
)
CACHE_AGE = Gauge(
    "gateway_schema_cache_age_seconds",
    "Seconds since the oldest schema cache of a live process loaded.",
    multiprocess_mode="livemax",
)
SUBSCRIBERS = Gauge(
    "gateway_realtime_subscribers", "Open real-time streams.", multiprocess_mode="livesum"
)
EVENTS = Counter(
    "gateway_realtime_events_total",
    "Events handed to the real-time fan-out, by kind (event|delta).",
    ["kind"],
)
DELIVERIES = Counter(
    "gateway_realtime_deliveries_total",
    "Frames queued to subscribers, by kind (event|delta).",
    ["kind"],
)
RATELIMIT = Counter(
    "taproot_ratelimit_total", "The gateway limiter's decisions, by outcome.", ["outcome"]
)
# PostgREST's metrics (its observability page), under its names
PGRST_POOL_AVAILABLE = Gauge(
    "pgrst_db_pool_available", "Available connections in the pool.", multiprocess_mode="livesum"
)
PGRST_POOL_WAITING = Gauge(
    "pgrst_db_pool_waiting",
    "Requests waiting to acquire a pool connection.",
    multiprocess_mode="livesum",
)
PGRST_POOL_MAX = Gauge("pgrst_db_pool_max", "Max pool connections.", multiprocess_mode="livesum")
PGRST_POOL_TIMEOUTS = Counter(
    "pgrst_db_pool_timeouts", "The total number of pool connection timeouts."
)
PGRST_CACHE_LOADS = Counter(
    "pgrst_schema_cache_loads", "The total number of times the schema cache was loaded.", ["status"]
)
PGRST_CACHE_QUERY_TIME = Gauge(
    "pgrst_schema_cache_query_time_seconds",
    "The query time in seconds of the last schema cache load.",
    multiprocess_mode="livemax",
)
_METHODS = frozenset({"GET", "HEAD", "POST", "PATCH", "PUT", "DELETE", "OPTIONS"})


def route_class(path: str, root: str, *, proxied: bool, realtime: bool) -> str:
    """A bounded label for `path`: never the raw path (ids and names would explode)."""
    if path == "/metrics":
        return "metrics"
    if proxied:
        return "ai"
    if realtime:
        return "realtime"
    if root:
        if path != root and not path.startswith(root + "/"):
            return "other"
        path = path[len(root) :] or "/"
    if path in ("/health", "/ready"):
        return "health"
    if path.startswith("/rpc/"):
        return "rpc"
    if path == "/":
        return "openapi"
    return "table"


class Metrics:
    """One per process: observes answers, samples gauges, renders the scrape."""

    def __init__(self) -> None:
        self._children: dict[tuple[str, str, int], tuple[Any, Any]] = {}
        self._ratelimit = telemetry.DeltaCounter(RATELIMIT)
        self._task: asyncio.Task[None] | None = None
        self._sources: tuple[Database, Reloader, Hub | None, FrontDoor | None] | None = None
        self._extra: list[Collector] = []

    # --- observations -----------------------------------------------------------------
    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        key = (route, method if method in _METHODS else "other", status)
        children = self._children.get(key)
        if children is None:
            labels = (key[0], key[1], str(status))
            children = (REQUESTS.labels(*labels), DURATION.labels(*labels))
            self._children[key] = children
        children[0].inc()
        children[1].observe(seconds)

    def instrument(
        self,
        db: Database,
        reloader: Reloader,
        hub: Hub | None,
        door: FrontDoor | None,
        *,
        db_uri: str,
    ) -> None:
        """Count schema reloads and real-time fan-out; remember what to sample."""
        self._sources = (db, reloader, hub, door)
        reload = reloader.reload

        async def counted_reload() -> bool:
            ok = await reload()
            RELOADS.labels("ok" if ok else "error").inc()
            PGRST_CACHE_LOADS.labels("SUCCESS" if ok else "FAIL").inc()
            if ok and reloader.cache is not None:
                PGRST_CACHE_QUERY_TIME.set(reloader.cache.load_seconds)
            return ok

        setattr(reloader, "reload", counted_reload)  # noqa: B010 - wraps the bound method
        if hub is not None:
            _count_fanout(hub)
        role = os.environ.get(QUEUE_ROLE_VAR)
        if role:
            from telemetry.queue import QueueStats

            self._extra = [QueueStats(db_uri, role)]

    # --- gauges -----------------------------------------------------------------------
    def sample(self) -> None:
        if self._sources is None:
            return
        db, reloader, hub, door = self._sources
        pool = db.pool
        if pool is None:
            open_, idle, waiting, size = 0, 0, 0, db.config.db_pool
        else:
            open_, idle, size = pool.get_size(), pool.get_idle_size(), pool.get_max_size()
            waiting = _waiting(pool)
        for state, value in (
            ("open", open_),
            ("in_use", open_ - idle),
            ("idle", idle),
            ("waiting", waiting),
            ("max", size),
        ):
            POOL.labels(state).set(value)
        # asyncpg opens connections lazily: what is not in use may still be opened
        PGRST_POOL_AVAILABLE.set(size - (open_ - idle))
        PGRST_POOL_WAITING.set(waiting)
        PGRST_POOL_MAX.set(size)
        cache = reloader.cache
        if cache is not None:
            CACHE_AGE.set(time.time() - cache.loaded_at)
        if hub is not None:
            SUBSCRIBERS.set(len(hub.subscribers))
        if door is not None:
            self._ratelimit.sync(door.counts)

    async def start(self) -> None:
        self.sample()
        self._task = asyncio.create_task(self._sampling(), name="metrics-sampler")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _sampling(self) -> None:
        while True:
            await asyncio.sleep(SAMPLE_SECONDS)
            try:
                self.sample()
            except Exception:  # noqa: S112 - a sample never stops the sampler
                continue

    # --- the scrape -------------------------------------------------------------------
    async def render(self) -> bytes:
        self.sample()
        # file reads (and the queue query) off the event loop
        return await asyncio.to_thread(telemetry.expose, self._extra)


def _waiting(pool: Any) -> int:
    """Acquisitions waiting for a connection (asyncpg keeps them on its queue's getters)."""
    getters: Iterable[Any] = getattr(getattr(pool, "_queue", None), "_getters", ()) or ()
    return sum(1 for f in getters if not f.done())


def _count_fanout(hub: Hub) -> None:
    deliver, delta = hub.deliver, hub.delta
    events, event_frames = EVENTS.labels("event"), DELIVERIES.labels("event")
    deltas, delta_frames = EVENTS.labels("delta"), DELIVERIES.labels("delta")

    def counted_deliver(event_id: int, channels: Iterable[str], chunk: bytes) -> None:
        channels = tuple(channels)
        # cheap, not exact: a subscriber of two of the event's channels counts twice, and
        # one still replaying its backlog counts too (the fan-out itself is not slowed)
        audience = sum(len(hub.by_channel.get(c, ())) for c in channels)
        deliver(event_id, channels, chunk)
        events.inc()
        if audience:
            event_frames.inc(audience)

    def counted_delta(channel: str, chunk: bytes) -> None:
        audience = len(hub.by_channel.get(channel, ()))
        delta(channel, chunk)
        deltas.inc()
        if audience:
            delta_frames.inc(audience)

    setattr(hub, "deliver", counted_deliver)  # noqa: B010
    setattr(hub, "delta", counted_delta)  # noqa: B010

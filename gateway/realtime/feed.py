"""The process's one LISTEN connection and its catch-up by id from the feed relation.

A dedicated asyncpg connection (application_name taproot-gateway-realtime, not from the
pool) reads realtime-feed as realtime-role and LISTENs on realtime-channel (ids only) and
realtime-delta-channel (ephemeral JSON). Every wake-up runs ONE catch-up query
(`id > cursor ORDER BY id LIMIT n`) for all subscribers and hands the rows to the hub.
The connection is probed; after a drop it is re-listened and caught up from the cursor,
so a lost notification or connection loses nothing.

Ids are taken at INSERT and become visible at COMMIT, so a smaller id can appear after a
larger one. The cursor therefore never passes a hole until every transaction that could
hold it has ended, or GAP_WAIT passed. A writer has its transaction id before it takes an
event id (app.emit_event runs in AFTER triggers and asks for its xid first), so when the
hole is first seen, the next xid to be handed out bounds every holder; the hole is closed
once a later snapshot's xmin reaches it. (The snapshot's own xmax is latestCompletedXid+1,
which a still-running holder's xid can exceed: it is not a bound.)
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg

from gateway._sql import queries
from gateway.config import Config, RealtimeConfig
from gateway.query import ident
from gateway.realtime import sse
from gateway.realtime.hub import Hub

log = logging.getLogger("gateway.realtime")

APPLICATION_NAME = "taproot-gateway-realtime"
BATCH = 500
PROBE_SECONDS = 5.0
GAP_WAIT = 10.0  # a transaction holding an event id longer than this is given up on
GAP_POLL = 0.05

Recheck = Callable[[int, list[str]], Awaitable[None]]


def statements(rt: RealtimeConfig) -> dict[str, str]:
    feed = ".".join(ident(p) for p in rt.feed)
    authorize = ".".join(ident(p) for p in rt.authorize)
    return {
        name: sql.replace("{feed}", feed).replace("{authorize}", authorize)
        for name, sql in queries("realtime").items()
    }


class Feed:
    def __init__(self, config: Config, hub: Hub, recheck: Recheck) -> None:
        assert config.realtime is not None
        self._uri = config.db_uri
        self._rt = config.realtime
        self._hub = hub
        self._recheck = recheck
        self._sql = statements(self._rt)
        self.cursor: int | None = None  # every event ≤ cursor has been handed to the hub
        self.connected = False
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._conn: asyncpg.Connection | None = None
        self._gap: tuple[int, int, float] | None = None  # (missing id, xid horizon, since)
        self._closed = False

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run_forever(), name="realtime-feed")

    async def close(self) -> None:
        self._closed = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        await self._drop()

    def wake(self) -> None:
        self._wake.set()

    # --- the connection -----------------------------------------------------------------
    async def _connect(self) -> asyncpg.Connection:
        conn = await asyncpg.connect(
            self._uri,
            timeout=5.0,
            statement_cache_size=16,
            server_settings={"application_name": APPLICATION_NAME},
        )
        try:
            if self._rt.role is not None:
                await conn.fetchrow(self._sql["set_role"], self._rt.role)
            await conn.add_listener(self._rt.channel, self._on_event)
            if self._rt.delta_channel is not None:
                await conn.add_listener(self._rt.delta_channel, self._on_delta)
        except BaseException:
            conn.terminate()
            raise
        return conn

    async def _drop(self) -> None:
        conn, self._conn = self._conn, None
        self.connected = False
        if conn is not None and not conn.is_closed():
            try:
                await asyncio.wait_for(conn.close(), 2)
            except Exception:
                conn.terminate()

    async def _run_forever(self) -> None:
        delay = 0.2
        while not self._closed:
            try:
                conn = await self._connect()
                self._conn = conn
                lost = asyncio.Event()
                conn.add_termination_listener(self._lost_callback(lost))
                if self.cursor is None:
                    self.cursor = int(await conn.fetchval(self._sql["head"]))
                self.connected = True
                log.info("realtime: listening on %s from event %s", self._rt.channel, self.cursor)
                delay = 0.2
                self._wake.set()  # catch up on whatever happened while not listening
                while not lost.is_set():
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), PROBE_SECONDS)
                    if lost.is_set():
                        break
                    if not self._wake.is_set():
                        await conn.fetchval(self._sql["probe"], timeout=PROBE_SECONDS)
                        continue
                    self._wake.clear()
                    await self._catch_up(conn)
                log.error("realtime: LISTEN connection lost; reconnecting")
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.error("realtime: feed failed (%s: %s); reconnecting", type(exc).__name__, exc)
            await self._drop()
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)

    def _lost_callback(self, lost: asyncio.Event) -> Callable[[Any], None]:
        def on_lost(_conn: Any) -> None:
            lost.set()
            self._wake.set()

        return on_lost

    # --- notifications ------------------------------------------------------------------
    def _on_event(self, _conn: Any, _pid: int, _channel: str, _payload: str) -> None:
        self._wake.set()  # ids only: the feed is the truth

    def _on_delta(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        try:
            message = json.loads(payload)
            channel, event, data = message["channel"], message["event"], message["data"]
            if not isinstance(channel, str) or not isinstance(event, str):
                raise TypeError
        except (ValueError, KeyError, TypeError):
            log.warning("realtime: ignoring a malformed delta on %s", self._rt.delta_channel)
            return
        if channel in self._hub.by_channel:
            body = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
            self._hub.delta(channel, sse.frame(event, body))

    # --- catch-up -----------------------------------------------------------------------
    async def _catch_up(self, conn: asyncpg.Connection) -> None:
        while True:
            assert self.cursor is not None
            rows = await conn.fetch(self._sql["catch_up"], self.cursor, BATCH)
            xmin = int(rows[0]["xmin"])
            events = [r for r in rows if r["id"] is not None]
            for row in events:
                event_id: int = row["id"]
                if event_id > self.cursor + 1 and not await self._hole_closed(conn, xmin):
                    asyncio.get_running_loop().call_later(GAP_POLL, self._wake.set)
                    return
                if row["recheck"]:
                    await self._recheck(event_id, list(row["channels"]))
                self._hub.deliver(
                    event_id, row["channels"], sse.frame(row["event"], row["data"], event_id)
                )
                self.cursor = event_id
            if len(events) < BATCH:
                return

    async def _hole_closed(self, conn: asyncpg.Connection, xmin: int) -> bool:
        assert self.cursor is not None
        missing = self.cursor + 1
        now = time.monotonic()
        if self._gap is None or self._gap[0] != missing:
            # Taken after the snapshot that showed the hole: every holder's xid is below it.
            horizon = int(await conn.fetchval(self._sql["next_xid"]))
            self._gap = (missing, horizon, now)
            return False
        _, horizon, since = self._gap
        if xmin >= horizon or now - since > GAP_WAIT:
            if now - since > GAP_WAIT:
                log.warning("realtime: gave up waiting for event %d", missing)
            self._gap = None
            return True
        return False

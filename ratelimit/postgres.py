"""The shared backend: GCRA state in PostgreSQL, exact across processes and machines.

Each check is one autocommit statement (`SELECT … FROM <function>($1,$2,$3,$4)`, one
conditional upsert inside) on a small asyncpg pool of its own, never inside a request's
transaction. The function is configuration (Taproot's is ratelimit.check, deployed by
sqitch); it runs on the database's clock so every machine agrees. When the database
does not answer within `timeout`, checks raise `Unavailable` at once for `cooldown`
seconds, so a dead limiter costs no waiting; the caller decides to fail open or closed.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import asyncpg

from ratelimit.backend import Decision, Unavailable

log = logging.getLogger("ratelimit")


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def check_statement(function: tuple[str, ...]) -> str:
    """The one statement a check runs; the function name is quoted, never interpolated raw."""
    name = ".".join(_ident(part) for part in function)
    return f"SELECT allowed, remaining, retry_after, reset_after FROM {name}($1, $2, $3, $4)"  # noqa: S608


async def _no_reset(conn: Any) -> None:
    return None


class PostgresBackend:
    def __init__(
        self,
        dsn: str,
        function: tuple[str, ...] = ("ratelimit", "check"),
        *,
        pool_size: int = 4,
        timeout: float = 1.0,
        cooldown: float = 1.0,
    ) -> None:
        self._dsn = dsn
        self._sql = check_statement(function)
        self._size = pool_size
        self.timeout = timeout
        self.cooldown = cooldown
        self._pool: Any = None
        self._lock: asyncio.Lock | None = None
        self._down_until = 0.0
        self.failures = 0
        self.checks = 0

    async def _open(self) -> Any:
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if self._pool is None:
                self._pool = await asyncpg.create_pool(
                    self._dsn,
                    min_size=1,
                    max_size=self._size,
                    timeout=self.timeout,
                    command_timeout=self.timeout,
                    server_settings={"application_name": "taproot-ratelimit"},
                    reset=_no_reset,  # nothing to reset after one function call: save a trip
                )
        return self._pool

    async def check(self, key: str, rate: float, burst: float, cost: float = 1.0) -> Decision:
        if self._down_until and time.monotonic() < self._down_until:
            raise Unavailable("the rate limiter's database is unavailable")
        self.checks += 1
        try:
            async with asyncio.timeout(self.timeout):
                pool = self._pool or await self._open()
                row = await pool.fetchrow(self._sql, key, rate, burst, cost)
        except Exception as exc:
            self.failures += 1
            self._down_until = time.monotonic() + self.cooldown
            log.warning(
                "rate limiter database unavailable for %.1f s: %s: %s",
                self.cooldown,
                type(exc).__name__,
                exc,
            )
            if self._pool is None and self._lock is not None:
                self._lock = None
            raise Unavailable(str(exc)) from None
        self._down_until = 0.0
        return Decision(bool(row[0]), int(row[1]), float(row[2]), float(row[3]))

    async def close(self) -> None:
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await pool.close()

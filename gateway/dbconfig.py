"""In-database configuration (db-config) and configuration reloads, as PostgREST does them.

At start-up and on every reload the file and the PGRST_* environment are read again, then
the login role's `pgrst.*` settings (`ALTER ROLE authenticator [IN DATABASE x] SET
pgrst.db_schemas = '…'`, and what db-pre-config sets) override both. A reload comes from
`NOTIFY <db-channel>, 'reload config'` (on a listening connection of its own, which
reconnects with backoff and reloads once more after a reconnect, to catch up) or SIGUSR2.
A running gateway takes only PostgREST's reloadable options; the others keep their
start-up values until a restart. A reload that fails keeps the running configuration.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import asyncpg

from gateway._sql import query
from gateway.config import Config, ConfigError, read_values, rebuild
from gateway.query import ident

log = logging.getLogger("gateway.config")

_DB_SETTINGS = query("dbconfig", "db_settings")
PREFIX = "pgrst."
# PostgREST's dbSettingsNames (v13): the options that may be set in the database
IN_DATABASE = (
    "db-aggregates-enabled",
    "db-anon-role",
    "db-pre-config",
    "db-extra-search-path",
    "db-max-rows",
    "db-plan-enabled",
    "db-pre-request",
    "db-prepared-statements",
    "db-root-spec",
    "db-schemas",
    "db-tx-end",
    "db-hoisted-tx-settings",
    "jwt-aud",
    "jwt-role-claim-key",
    "jwt-secret",
    "jwt-secret-is-base64",
    "jwt-cache-max-lifetime",
    "openapi-mode",
    "openapi-server-proxy-uri",
    "server-cors-allowed-origins",
    "server-trace-header",
    "server-timing-enabled",
)
# What a running gateway takes on reload ("Reloadable: Y" in PostgREST's list); the pool
# options, db-tx-end, db-channel*, db-prepared-statements, server-*, admin-*, log-* wait for
# a restart (db-channel and db-prepared-statements are reloadable in PostgREST: here the
# listener and the pool are built once).
RELOADABLE = frozenset(
    {
        "db-aggregates-enabled",
        "db-anon-role",
        "db-config",
        "db-pre-config",
        "db-extra-search-path",
        "db-hoisted-tx-settings",
        "db-max-rows",
        "db-plan-enabled",
        "db-pre-request",
        "db-root-spec",
        "db-schemas",
        "jwt-aud",
        "jwt-role-claim-key",
        "jwt-secret",
        "jwt-secret-is-base64",
        "jwt-cache-max-lifetime",
        "openapi-mode",
        "server-trace-header",
        "server-timing-enabled",
    }
)
RELOAD_CONFIG = "reload config"
LISTEN_WAIT = 2.0


def setting_name(option: str) -> str:
    """db-schemas → pgrst.db_schemas."""
    return PREFIX + option.replace("-", "_")


def option_name(key: str) -> str:
    """db_schemas → db-schemas."""
    return key.replace("_", "-")


async def read_db_settings(
    conn: asyncpg.Connection, pre_config: tuple[str, ...] | None
) -> dict[str, str]:
    """The in-database options (option name → value), highest priority first resolved."""
    names = [setting_name(o) for o in IN_DATABASE]
    async with conn.transaction(readonly=True):
        if pre_config is not None:
            # set_config(…, true) inside it holds until this transaction ends
            await conn.execute(f"SELECT {'.'.join(ident(p) for p in pre_config)}()")
        rows = await conn.fetch(_DB_SETTINGS, names, pre_config is not None)
    # an empty value counts as unset (PostgREST falls back to the default then)
    return {option_name(r["key"]): r["value"] for r in rows if r["value"] != ""}


def merge(values: Mapping[str, str], db: Mapping[str, str]) -> dict[str, str]:
    """The database overrides the file and the environment, for the options it may set."""
    out = dict(values)
    out.update({k: v for k, v in db.items() if k in IN_DATABASE})
    return out


def keep_running(running: Config, values: Mapping[str, str]) -> dict[str, str]:
    """A reload's values with every option that is not reloadable at its running value."""
    out = {k: v for k, v in running.raw.items() if not _reloadable(k)}
    out.update({k: v for k, v in values.items() if _reloadable(k)})
    return out


def _reloadable(option: str) -> bool:
    return option in RELOADABLE or option.startswith("app.settings.")


class ConfigReloader:
    """Loads the in-database configuration and applies reloads to the running app."""

    def __init__(
        self,
        connect: Callable[[], Awaitable[asyncpg.Connection]],
        current: Callable[[], Config],
        apply: Callable[[Config], Awaitable[None]],
    ) -> None:
        self._connect = connect
        self._current = current
        self._apply = apply
        self._lock = asyncio.Lock()
        self._listen_task: asyncio.Task[None] | None = None
        self._listener: asyncpg.Connection | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._closed = False
        self.last_error: str | None = None
        self.reloads = 0
        self._listening = asyncio.Event()

    async def load(self, config: Config) -> Config:
        """`config` with the in-database settings applied (start-up: every option may
        change). The database unreachable or the query failing leaves it as it is."""
        if not config.db_config:
            return config
        try:
            db = await self._read(config)
            return rebuild(config, merge(config.raw, db))
        except ConfigError as exc:
            self.last_error = str(exc)
            log.error("in-database configuration ignored: %s", exc)
        except Exception as exc:
            self.last_error = f"{type(exc).__name__}: {exc}"
            log.error("in-database configuration not read: %s", self.last_error)
        return config

    async def _read(self, config: Config) -> dict[str, str]:
        conn = await self._connect()
        try:
            return await read_db_settings(conn, config.db_pre_config)
        finally:
            await conn.close()

    async def start(self, channel: str | None) -> None:
        loop = asyncio.get_running_loop()
        try:
            loop.add_signal_handler(signal.SIGUSR2, self.request_reload)
        except (NotImplementedError, RuntimeError, ValueError):
            log.debug("SIGUSR2 config reloads are not available in this thread")
        if channel:
            self._listen_task = asyncio.create_task(self._listen_forever(channel))
            # a NOTIFY sent once start-up is over must not be missed: wait for the LISTEN
            # (a while at most; the database may be down, the loop reconnects by itself)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._listening.wait(), LISTEN_WAIT)

    async def close(self) -> None:
        self._closed = True
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            asyncio.get_running_loop().remove_signal_handler(signal.SIGUSR2)
        if self._listen_task is not None:
            self._listen_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listen_task
        if self._listener is not None:
            try:
                await self._listener.close(timeout=2)
            except Exception:
                self._listener.terminate()
        for task in list(self._tasks):
            task.cancel()

    def request_reload(self) -> None:
        if self._closed:
            return
        task = asyncio.get_running_loop().create_task(self.reload())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def reload(self) -> bool:
        """Re-read the file, the environment and the database; apply what is reloadable."""
        async with self._lock:
            running = self._current()
            env, path = running.sources
            try:
                values = read_values(env, path)
                fresh = rebuild(running, values)
                if fresh.db_config:
                    values = merge(values, await self._read(fresh))
                config = rebuild(running, keep_running(running, values))
            except Exception as exc:
                self.last_error = f"{type(exc).__name__}: {exc}"
                log.error("config reload failed, keeping the running one: %s", self.last_error)
                return False
            await self._apply(config)
            self.last_error = None
            self.reloads += 1
            log.info("config reloaded")
            return True

    def _on_notify(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        if payload == RELOAD_CONFIG:
            self.request_reload()

    async def _listen_forever(self, channel: str) -> None:
        delay = 0.5
        first = True
        while not self._closed:
            try:
                conn = await self._connect()
                self._listener = conn
                await conn.add_listener(channel, self._on_notify)
                log.info("listening for config reloads on channel %s", channel)
                self._listening.set()
                if not first:
                    self.request_reload()  # a NOTIFY may have been missed while away
                first = False
                delay = 0.5
                closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

                def _lost(_conn: Any, done: asyncio.Future[None] = closed) -> None:
                    if not done.done():
                        done.set_result(None)

                conn.add_termination_listener(_lost)
                await closed
                log.error("config reload listener connection lost; reconnecting")
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                first = False
                log.error("config reload listener failed: %s", exc)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 30.0)

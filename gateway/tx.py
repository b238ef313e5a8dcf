"""Stage 5: one transaction per request on a pooled asyncpg connection.

BEGIN (READ ONLY for reads; at the isolation level the role's or the called function's
default_transaction_isolation names); one statement setting role, search_path, the request.*
GUCs, the role's own settings, app.settings.* and the called function's settings that
db-hoisted-tx-settings lets out of the function into the transaction; the db-pre-request
function; the main statement (prepared, from asyncpg's
statement cache); COMMIT or ROLLBACK as db-tx-end and Prefer: tx decide. Database
errors come back as PostgREST-shaped ApiErrors; a down database as 503 and an
exhausted pool as 504, never as a hang or a stack trace.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import asyncpg

from gateway import errors
from gateway._sql import query
from gateway.config import Config
from gateway.errors import ApiError
from gateway.metrics import PGRST_POOL_TIMEOUTS
from gateway.query import Statement, explain, ident

log = logging.getLogger("gateway.tx")

CONNECT_TIMEOUT = 5.0
T = TypeVar("T")

_SET_CONTEXT = query("tx", "set_context")
_ROLE_SETTINGS = query("tx", "role_settings")
_SET_TIMEZONE = query("tx", "set_timezone")
_PING = query("tx", "ping")
_FUNCTION_SETTINGS = query("tx", "function_settings")
_ISOLATION = "default_transaction_isolation"
# pg's spelling of default_transaction_isolation → asyncpg's transaction(isolation=)
_ISOLATION_LEVELS = {
    "serializable": "serializable",
    "repeatable read": "repeatable_read",
    "read committed": "read_committed",
    "read uncommitted": "read_uncommitted",
}

_CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    asyncpg.exceptions.ConnectionDoesNotExistError,
    asyncpg.exceptions.InterfaceError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.ConnectionFailureError,
    asyncpg.exceptions.InternalClientError,
)


@dataclass(slots=True)
class Context:
    """What the transaction sets before the main statement."""

    role: str
    claims_json: str
    method: str
    path: str
    headers_json: str
    cookies_json: str
    authenticated: bool
    read_only: bool
    rollback: bool = False
    timezone: str | None = None
    # request.id: the X-Request-Id of the request (logs, audit rows and jobs correlate)
    request_id: str = ""
    # the function an RPC calls: its hoisted settings and isolation level apply
    function_oid: int | None = None


@dataclass(slots=True)
class Result:
    total: int | None
    page_total: int
    body: bytes | None
    guc_headers: str | None
    guc_status: str | None
    inserted: int | None = None


@dataclass(frozen=True, slots=True)
class _Settings:
    """Settings a role or a function brings into the transaction."""

    names: tuple[str, ...] = ()
    values: tuple[str, ...] = ()
    isolation: str | None = None


_NONE = _Settings()


class Database:
    def __init__(self, config: Config) -> None:
        self.pool: asyncpg.Pool | None = None
        self.configure(config)

    def configure(self, config: Config) -> None:
        """Take a (reloaded) configuration; role and function settings are read again."""
        self.config = config
        self._search_paths = {
            schema: ", ".join(ident(s) for s in (schema, *config.db_extra_search_path))
            for schema in config.db_schemas
        }
        pre = config.db_pre_request
        self._pre_request = f"SELECT {'.'.join(ident(p) for p in pre)}()" if pre else None
        self._app_settings = tuple(config.app_settings)
        self._hoisted = frozenset(config.db_hoisted_tx_settings)
        # ALTER ROLE … SET of each role, read on the first transaction (the pool starts lazily)
        self._role_settings: dict[str, _Settings] | None = None
        self.forget_functions()

    def forget_functions(self) -> None:
        """The schema cache reloaded: read the functions' SET clauses again when needed."""
        self._function_settings: dict[int, _Settings] | None = None

    async def connect(self) -> asyncpg.Connection:
        """A standalone connection (schema cache loads, the NOTIFY listener)."""
        return await asyncpg.connect(
            self.config.db_uri,
            timeout=CONNECT_TIMEOUT,
            server_settings={"application_name": "taproot-gateway"},
        )

    async def start(self) -> None:
        self.pool = await asyncpg.create_pool(
            self.config.db_uri,
            min_size=0,
            max_size=self.config.db_pool,
            timeout=CONNECT_TIMEOUT,
            max_inactive_connection_lifetime=0,
            statement_cache_size=1024 if self.config.db_prepared_statements else 0,
            server_settings={"application_name": "taproot-gateway"},
            reset=_keep_session,
        )

    async def close(self) -> None:
        if self.pool is not None:
            try:
                await asyncio.wait_for(self.pool.close(), 5)
            except (
                TimeoutError,
                OSError,
                asyncpg.PostgresError,
                asyncpg.exceptions.InterfaceError,
            ):
                self.pool.terminate()

    def pool_stats(self) -> dict[str, int]:
        if self.pool is None:
            return {"size": 0, "idle": 0, "max": self.config.db_pool}
        return {
            "size": self.pool.get_size(),
            "idle": self.pool.get_idle_size(),
            "max": self.pool.get_max_size(),
        }

    async def ping(self, within: float = 2.0) -> bool:
        if self.pool is None:
            return False
        try:
            async with asyncio.timeout(within):
                async with self.pool.acquire() as conn:
                    await conn.fetchval(_PING)
            return True
        except (TimeoutError, asyncpg.PostgresError, *_CONNECTION_ERRORS):
            return False

    async def fetch_value(self, sql: str, *args: Any, within: float) -> Any:
        """One value of `sql` on a pooled connection as the pool's login role, within
        `within` seconds (the readiness function); outside any request's transaction."""
        if self.pool is None:
            raise ConnectionError("the connection pool is not started")
        async with asyncio.timeout(within):
            async with self.pool.acquire() as conn:
                return await conn.fetchval(sql, *args)

    async def run(
        self,
        ctx: Context,
        schema: str,
        statement: Statement,
        *,
        singular: bool = False,
        planned_count: bool = False,
        estimated_limit: int | None = None,
        max_affected: int | None = None,
        explain: str | None = None,
    ) -> Result:
        async def body(conn: asyncpg.Connection) -> Result:
            if explain is not None:  # EXPLAIN of the main statement; never committed
                rows = await conn.fetch(explain + statement.sql, *statement.params)
                lines = [r[0] if isinstance(r[0], str) else json.dumps(r[0]) for r in rows]
                return Result(None, 0, "\n".join(lines).encode(), None, None)
            total_override: int | None = None
            if planned_count and statement.count_sql is not None:
                total_override = await self._planned(conn, statement)
            row = await conn.fetchrow(statement.sql, *statement.params)
            assert row is not None
            total = row["total"]
            if total_override is not None and (
                total is None or estimated_limit is None or total_override > estimated_limit
            ):
                total = total_override
            result = Result(
                total,
                row["page_total"],
                row["body"],
                row["response_headers"],
                row["response_status"],
                row.get("inserted"),
            )
            # raised inside the transaction, so that a refused write is rolled back
            if singular and result.page_total != 1:
                raise errors.singularity(result.page_total)
            if max_affected is not None and result.page_total > max_affected:
                raise errors.max_affected(result.page_total)
            return result

        return await self.transaction(ctx, schema, body)

    async def _planned(self, conn: asyncpg.Connection, statement: Statement) -> int:
        assert statement.count_sql is not None
        plan = await conn.fetchval(explain(statement.count_sql), *(statement.count_params or []))
        data = json.loads(plan) if isinstance(plan, str) else plan
        return int(data[0]["Plan"]["Plan Rows"])

    async def _load_role_settings(self, conn: asyncpg.Connection) -> None:
        """Read once per configuration: the settings each role carries (statement_timeout…)."""
        found: dict[str, tuple[list[str], list[str]]] = {}
        for row in await conn.fetch(_ROLE_SETTINGS):
            names, values = found.setdefault(row["role"], ([], []))
            names.append(row["name"])
            values.append(row["value"])
        self._role_settings = {
            role: _Settings(tuple(n), tuple(v), _isolation(n, v)) for role, (n, v) in found.items()
        }

    async def _load_function_settings(self, conn: asyncpg.Connection) -> None:
        """Read once per schema cache: what each exposed function's SET clause hoists."""
        found: dict[int, list[tuple[str, str]]] = {}
        for row in await conn.fetch(_FUNCTION_SETTINGS, list(self.config.db_schemas)):
            found.setdefault(row["oid"], []).append((row["name"], row["value"]))
        settings: dict[int, _Settings] = {}
        for oid, pairs in found.items():
            hoisted = [(n, v) for n, v in pairs if n in self._hoisted]
            # PostgREST takes the isolation level from the SET clause whatever the list says
            settings[oid] = _Settings(
                tuple(n for n, _ in hoisted),
                tuple(v for _, v in hoisted),
                _isolation([n for n, _ in pairs], [v for _, v in pairs]),
            )
        self._function_settings = settings

    async def transaction(  # noqa: PLR0912 - every failure has its PostgREST error
        self, ctx: Context, schema: str, body: Callable[[asyncpg.Connection], Awaitable[T]]
    ) -> T:
        if self.pool is None:
            raise errors.db_connection("the connection pool is not started")
        try:
            conn = await self.pool.acquire(timeout=self.config.db_pool_acquisition_timeout)
        except TimeoutError:
            PGRST_POOL_TIMEOUTS.inc()
            raise errors.pool_timeout() from None
        except (asyncpg.PostgresError, *_CONNECTION_ERRORS) as exc:
            # whatever stops a connection from opening is PostgREST's connection error
            raise errors.db_connection(str(exc) or type(exc).__name__) from None
        try:
            if self._role_settings is None:
                await self._load_role_settings(conn)
            role = (self._role_settings or {}).get(ctx.role, _NONE)
            function = _NONE
            if ctx.function_oid is not None:
                if self._function_settings is None:
                    await self._load_function_settings(conn)
                function = (self._function_settings or {}).get(ctx.function_oid, _NONE)
            # later ones win: the role's, then app.settings.*, then the function's
            names = [*role.names, *(k for k, _ in self._app_settings), *function.names]
            values = [*role.values, *(v for _, v in self._app_settings), *function.values]
            tr = conn.transaction(
                isolation=function.isolation or role.isolation, readonly=ctx.read_only
            )
            await tr.start()
            try:
                await conn.fetchrow(
                    _SET_CONTEXT,
                    self._search_paths[schema],
                    ctx.role,
                    ctx.claims_json,
                    ctx.method,
                    ctx.path,
                    ctx.headers_json,
                    ctx.cookies_json,
                    ctx.request_id,
                    names,
                    values,
                )
                if ctx.timezone is not None:
                    await conn.fetchrow(_SET_TIMEZONE, ctx.timezone)
                if self._pre_request is not None:
                    await conn.fetchrow(self._pre_request)
                result = await body(conn)
            except BaseException:
                if not conn.is_closed():
                    await tr.rollback()
                raise
            if ctx.rollback:
                await tr.rollback()
            else:
                await tr.commit()
            return result
        except ApiError:
            raise
        except _CONNECTION_ERRORS as exc:  # before PostgresError: 08003 is one of both
            raise errors.db_client(str(exc) or type(exc).__name__) from None
        except asyncpg.PostgresError as exc:
            raise _pg_error(exc, ctx.authenticated) from None
        finally:
            await self.pool.release(conn)

    async def fetch(self, ctx: Context, schema: str, sql: str, *args: Any) -> list[Any]:
        async def body(conn: asyncpg.Connection) -> list[Any]:
            return list(await conn.fetch(sql, *args))

        return await self.transaction(ctx, schema, body)


def _isolation(names: list[str], values: list[str]) -> str | None:
    level = None
    for name, value in zip(names, values, strict=True):
        if name == _ISOLATION:
            level = _ISOLATION_LEVELS.get(value.strip().lower())
    return level


async def _keep_session(_conn: asyncpg.Connection) -> None:
    """Released connections are not reset (asyncpg's default runs RESET ALL, UNLISTEN *,
    CLOSE ALL and unlocks advisory locks: a round trip per request). As in PostgREST,
    every request sets role and GUCs transaction-locally, and asyncpg still rolls back
    any transaction left open."""


def _pg_error(exc: asyncpg.PostgresError, authenticated: bool) -> ApiError:
    sqlstate = getattr(exc, "sqlstate", None) or "XX000"
    message = getattr(exc, "message", None) or str(exc)
    return errors.from_postgres(
        sqlstate, message, getattr(exc, "detail", None), getattr(exc, "hint", None), authenticated
    )

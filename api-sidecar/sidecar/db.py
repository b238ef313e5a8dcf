"""Every database access: one transaction on a pooled psycopg connection, as the caller.

The pool connects as `authenticator`; each transaction switches to the caller's role and
claims exactly as the gateway does (transaction-local set_config), so RLS and grants
decide. Database errors become `SidecarError`s with the gateway's SQLSTATE → HTTP table.

`run` is the fast path for transactions whose statements do not depend on one another's
results: the context and the statements go out in one psycopg pipeline, one transaction
that commits at the pipeline's Sync, so a transaction costs one round trip (and one GIL
hand-off) instead of four, and no row lock a statement takes is held while the thread
waits to send COMMIT. `transaction` remains for the
few that need Python between statements.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool, PoolTimeout

from sidecar._sql import query
from sidecar.errors import SidecarError, from_database
from taproot import logs

log = logging.getLogger("sidecar.db")

_SET_CONTEXT = query("tx", "set_context")
_SET_SECRETS_KEY = query("tx", "set_secrets_key")
_PING = query("tx", "ping")

Row = dict[str, Any]
Statement = tuple[str, dict[str, Any]]
_BEGIN = "BEGIN"
_COMMIT = "COMMIT"
_ROLLBACK = "ROLLBACK"


@dataclass(frozen=True)
class Role:
    """Who a transaction runs as: the database role and the JWT claims it sees."""

    role: str
    claims: dict[str, Any] = field(default_factory=dict)

    @functools.cached_property
    def claims_json(self) -> str:
        # once per Role: a verified token's Role serves all its calls (caller.py)
        return json.dumps(self.claims, separators=(",", ":"))


ANON = Role("anon", {"role": "anon"})


class Session:
    """One open transaction: run named statements with bind parameters."""

    def __init__(self, conn: psycopg.Connection[Row]) -> None:
        self._conn = conn

    def all(self, sql: str, params: dict[str, Any] | None = None) -> list[Row]:
        return self._conn.execute(sql, params or {}).fetchall()

    def one(self, sql: str, params: dict[str, Any] | None = None) -> Row | None:
        return self._conn.execute(sql, params or {}).fetchone()

    def become(self, role: Role) -> None:
        """Switch the rest of this transaction to another role and claims."""
        self._conn.execute(
            _SET_CONTEXT,
            {
                "role": role.role,
                "claims": role.claims_json,
                "method": "POST",
                "path": "",
                "request_id": logs.request_id() or "",
            },
        )


class Database:
    def __init__(self, uri: str, *, size: int, timeout: float, secrets_key: str | None) -> None:
        self._timeout = timeout
        self._down = False  # the last attempt to reach PostgreSQL failed
        self._secrets_key = secrets_key
        self.pool: ConnectionPool[psycopg.Connection[Row]] = ConnectionPool(
            uri,
            min_size=1,
            max_size=size,
            timeout=timeout,
            open=False,
            # No check on every checkout (a round trip per transaction): a connection that a
            # PostgreSQL restart broke fails its first statement and is retried once below.
            connection_class=psycopg.Connection[Row],
            kwargs={
                "autocommit": True,
                "row_factory": dict_row,
                "application_name": "taproot-sidecar",
                "connect_timeout": 5,
            },
        )

    # While PostgreSQL is known to be down, a checkout waits this long, not the whole pool
    # timeout: the pool cannot reconnect, and a caller is owed a quick 503, not a 10 s 504.
    DOWN_CHECKOUT_TIMEOUT = 1.0

    def open(self) -> None:
        # wait=False: the sidecar starts (and answers 503) while the database is down
        self.pool.open(wait=False)

    def _checkout_timeout(self) -> float:
        return self.DOWN_CHECKOUT_TIMEOUT if self._down else self._timeout

    def _unavailable(self, exc: Exception) -> SidecarError:
        self._down = True
        log.warning("database unavailable: %s", str(exc).strip())
        return SidecarError(503, "the database is unavailable", type="api_error")

    def _timed_out(self) -> SidecarError:
        if self._down:
            return SidecarError(503, "the database is unavailable", type="api_error")
        return SidecarError(504, "the database connection pool is exhausted", type="api_error")

    def close(self) -> None:
        self.pool.close(timeout=5)

    def ping(self) -> bool:
        try:
            with self.pool.connection(timeout=2) as conn:
                conn.execute(_PING)
            return True
        except (PoolTimeout, psycopg.Error):
            return False

    def run(
        self,
        role: Role,
        *statements: Statement,
        path: str = "",
        method: str = "POST",
        repeatable: bool = True,
    ) -> list[Row | None]:
        """One transaction as `role` running `statements`; the first row of each.

        A connection that a PostgreSQL restart broke fails the whole pipeline; it is dropped
        and the transaction sent again on the next one, once. Unless `repeatable`: then BEGIN
        and the context go first in a round trip of their own, so that the retry happens, as
        in `transaction`, before anything of the caller's ran (a ledger insert must never run
        twice), and the statements and COMMIT follow in a second one.
        """
        context = _context(role, method, path)
        try:
            for attempt in (1, 2):
                with self.pool.connection(timeout=self._checkout_timeout()) as conn:
                    try:
                        rows = _pipelined(conn, context, statements, repeatable)
                        self._down = False
                        return rows
                    except _ContextLost:
                        if attempt == 2:
                            raise psycopg.OperationalError("connection lost") from None
                        self._down = True
                    except psycopg.OperationalError:
                        if attempt == 2 or not conn.broken or not repeatable:
                            raise
                        # A broken connection: PostgreSQL restarted or is down. Until a
                        # statement succeeds again, checkouts wait only briefly.
                        self._down = True
            raise AssertionError("unreachable")
        except PoolTimeout:
            raise self._timed_out() from None
        except psycopg.OperationalError as exc:
            raise self._unavailable(exc) from None
        except psycopg.Error as exc:
            raise from_database(exc) from None

    @contextmanager
    def _begin(self, context: dict[str, Any]) -> Iterator[psycopg.Connection[Row]]:
        """A pooled connection in a transaction with the caller's context set.

        A connection that a PostgreSQL restart broke fails on its first statement: it is
        dropped (the pool discards broken connections) and the next one tried, once,
        before anything of the caller's ran on it.
        """
        for attempt in (1, 2):
            with ExitStack() as stack:
                conn = stack.enter_context(self.pool.connection(timeout=self._checkout_timeout()))
                try:
                    stack.enter_context(conn.transaction())
                    conn.execute(_SET_CONTEXT, context)
                except psycopg.OperationalError:
                    if attempt == 2 or not conn.broken:
                        raise
                    self._down = True  # as in run(): the next checkout waits briefly
                    continue
                self._down = False
                yield conn
                return

    @contextmanager
    def transaction(
        self, role: Role, *, path: str = "", method: str = "POST", secrets: bool = False
    ) -> Iterator[Session]:
        """A transaction as `role`; `secrets` also sets app.secrets_key in it."""
        context = _context(role, method, path)
        try:
            with self._begin(context) as conn:
                if secrets and self._secrets_key is not None:
                    conn.execute(_SET_SECRETS_KEY, {"key": self._secrets_key})
                yield Session(conn)
        except SidecarError:
            raise
        except PoolTimeout:
            raise self._timed_out() from None
        except psycopg.OperationalError as exc:
            raise self._unavailable(exc) from None
        except psycopg.Error as exc:
            raise from_database(exc) from None


def _context(role: Role, method: str, path: str) -> dict[str, Any]:
    """The set_context parameters; request.id is the HTTP request's id (taproot/logs.py)."""
    return {
        "role": role.role,
        "claims": role.claims_json,
        "method": method,
        "path": path,
        "request_id": logs.request_id() or "",
    }


class _ContextLost(Exception):
    """The connection broke before any of the caller's statements was sent."""


def _pipelined(
    conn: psycopg.Connection[Row],
    context: dict[str, Any],
    statements: tuple[Statement, ...],
    repeatable: bool,
) -> list[Row | None]:
    cursors: list[psycopg.Cursor[Row]] = []
    try:
        with conn.pipeline() as pipeline:
            # Repeatable: no BEGIN and COMMIT. Everything a pipeline sends before its Sync
            # runs as one transaction (PostgreSQL's extended protocol commits or rolls back
            # at Sync), so the context's transaction-local settings hold for the statements
            # and an error rolls all of them back: two statements fewer to send, parse and
            # account for. The other path syncs after the context, which would commit it
            # there, so it opens the transaction with BEGIN.
            if not repeatable:
                conn.execute(_BEGIN, prepare=True)
            conn.execute(_SET_CONTEXT, context)
            if not repeatable:
                try:
                    pipeline.sync()
                except psycopg.OperationalError:
                    if conn.broken:
                        raise _ContextLost from None
                    raise
            for sql, params in statements:
                cursors.append(conn.execute(sql, params))
            if not repeatable:
                conn.execute(_COMMIT, prepare=True)
    except psycopg.Error:
        # A failed statement leaves the transaction aborted (the server skipped the rest of
        # the pipeline, COMMIT included): roll it back before the connection goes back.
        if not conn.broken and conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            conn.execute(_ROLLBACK)
        raise
    return [
        cursor.fetchone() if cursor.pgresult is not None and cursor.description else None
        for cursor in cursors
    ]

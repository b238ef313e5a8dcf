"""The schema cache: what the exposed schemas hold, introspected once, reloaded on demand.

`load(conn, schemas)` runs the catalog queries in gateway/sql/schema_cache.sql and
returns an immutable SchemaCache. `Reloader` keeps the current cache for the app:
it listens for NOTIFY <db-channel> 'reload schema' on a dedicated connection and for
SIGUSR1, debounces bursts, and keeps the previous cache (logging why) when a reload
fails. Nothing here runs on the request path.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

import asyncpg

from gateway._sql import query
from gateway.media import HandlerMap, handler_map

log = logging.getLogger("gateway.schema_cache")

JSON_TYPES = frozenset({"json", "jsonb"})


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    type: str  # format_type(), e.g. "character varying(20)", "api.color"
    base_type: str  # domains resolved, e.g. "jsonb"
    category: str  # pg_type.typcategory: A array, N numeric, S string, …
    nullable: bool = True
    default: str | None = None
    generated: bool = False
    description: str | None = None
    enum: tuple[str, ...] = ()
    max_length: int | None = None
    position: int = 0
    range_subtype: str | None = None
    insert_default: str | None = None  # SQL from the catalog (default or identity)
    computed: str | None = None  # a computed column: the function, called with the row

    @property
    def is_json(self) -> bool:
        return self.base_type in JSON_TYPES


@dataclass(frozen=True, slots=True)
class Table:
    schema: str
    name: str
    kind: str  # r table, v view, m materialized view, f foreign, p partitioned
    columns: dict[str, Column]
    pk: tuple[str, ...] = ()
    insertable: bool = False
    updatable: bool = False
    deletable: bool = False
    description: str | None = None
    computed: dict[str, Column] = field(default_factory=dict)  # functions of its row

    @property
    def is_view(self) -> bool:
        return self.kind in ("v", "m")


@dataclass(frozen=True, slots=True)
class ForeignKey:
    name: str
    table: tuple[str, str]
    columns: tuple[str, ...]
    ref_table: tuple[str, str]
    ref_columns: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    type: str
    base_type: str
    has_default: bool
    variadic: bool = False


@dataclass(frozen=True, slots=True)
class Function:
    oid: int
    schema: str
    name: str
    params: tuple[Param, ...]  # input parameters in order
    return_type: str
    return_base: str
    returns_set: bool
    volatility: str  # i, s, v
    ret_columns: dict[str, Column] | None  # composite / TABLE / OUT results
    ret_relation: tuple[str, str] | None
    description: str | None = None
    rows: float = 0.0  # ROWS estimate; 1 makes a SETOF computed relationship to-one
    arg_relation: tuple[str, str] | None = None  # its single parameter's table type

    @property
    def returns_void(self) -> bool:
        return self.return_type == "void"

    @property
    def returns_composite(self) -> bool:
        return self.ret_columns is not None

    @property
    def returns_scalar(self) -> bool:
        return not self.returns_composite and not self.returns_void

    @property
    def variadic(self) -> bool:
        return bool(self.params) and self.params[-1].variadic

    @property
    def required(self) -> frozenset[str]:
        return frozenset(p.name for p in self.params if not p.has_default and not p.variadic)

    def signature(self) -> str:
        args = ", ".join(f"{p.name} => {p.type}" for p in self.params)
        return f"{self.schema}.{self.name}({args})"


@dataclass(frozen=True)
class SchemaCache:
    schemas: tuple[str, ...]
    tables: dict[tuple[str, str], Table]
    functions: dict[tuple[str, str], tuple[Function, ...]]
    foreign_keys: tuple[ForeignKey, ...] = ()
    unique_keys: dict[tuple[str, str], tuple[tuple[str, ...], ...]] = field(default_factory=dict)
    types: frozenset[str] = frozenset()
    timezones: frozenset[str] = frozenset()
    schema_descriptions: dict[str, str | None] = field(default_factory=dict)
    media_handlers: HandlerMap = field(default_factory=dict)  # gateway/media.py
    postgis: bool = False  # ST_AsGeoJSON(record) exists: application/geo+json works
    loaded_at: float = field(default_factory=time.time)
    load_seconds: float = 0.0

    def table(self, schema: str, name: str) -> Table | None:
        return self.tables.get((schema, name))

    def table_names(self, schema: str) -> list[str]:
        return [name for (s, name) in self.tables if s == schema]

    def function_names(self, schema: str) -> list[str]:
        return [name for (s, name) in self.functions if s == schema]


def _columns(rows: Iterable[Any]) -> dict[tuple[str, str], dict[str, Column]]:
    out: dict[tuple[str, str], dict[str, Column]] = {}
    for r in rows:
        out.setdefault((r["schema"], r["name"]), {})[r["column"]] = Column(
            name=r["column"],
            type=r["type"],
            base_type=r["base_type"],
            category=r["category"],
            nullable=r["nullable"],
            default=r["default"],
            generated=r["generated"],
            description=r["description"],
            enum=tuple(r["enum"] or ()),
            max_length=r["max_length"],
            position=r["position"],
            range_subtype=r["range_subtype"],
            insert_default=r["insert_default"],
        )
    return out


def _function(r: Any, columns: dict[tuple[str, str], dict[str, Column]]) -> Function:
    names = list(r["arg_names"])
    modes = list(r["arg_modes"]) or ["i"] * len(r["arg_types"])
    types = list(r["arg_types"])
    bases = list(r["arg_base_types"])
    names += [""] * (len(types) - len(names))
    inputs: list[Param] = []
    outputs: dict[str, Column] = {}
    n_inputs = sum(1 for m in modes if m in ("i", "b", "v"))
    first_default = n_inputs - r["n_defaults"]
    index = 0
    for name, mode, typ, base in zip(names, modes, types, bases, strict=False):
        if mode in ("i", "b", "v"):
            inputs.append(Param(name, typ, base, index >= first_default, mode == "v"))
            index += 1
        if mode in ("o", "b", "t"):
            outputs[name] = Column(
                name=name, type=typ, base_type=base, category="", position=len(outputs) + 1
            )
    ret_relation = None
    ret_columns: dict[str, Column] | None = None
    if outputs and (len(outputs) > 1 or r["return_type"] == "record"):
        ret_columns = outputs
    elif r["ret_schema"] is not None:
        ret_relation = (r["ret_schema"], r["ret_name"])
        ret_columns = columns.get(ret_relation, {})
    return Function(
        oid=r["oid"],
        schema=r["schema"],
        name=r["name"],
        params=tuple(inputs),
        return_type=r["return_type"],
        return_base=r["return_base"],
        returns_set=r["returns_set"],
        volatility=r["volatility"],
        ret_columns=ret_columns,
        ret_relation=ret_relation,
        description=r["description"],
        rows=r["rows"] or 0.0,
        arg_relation=(r["arg_schema"], r["arg_table"]) if r["arg_table"] else None,
    )


async def load(conn: asyncpg.Connection, schemas: tuple[str, ...]) -> SchemaCache:
    """Introspect the exposed schemas; one read-only transaction, a handful of queries."""
    started = time.monotonic()
    wanted = list(schemas)
    async with conn.transaction(readonly=True):
        rel_rows = await conn.fetch(query("schema_cache", "relations"), wanted)
        col_rows = await conn.fetch(query("schema_cache", "columns"), wanted)
        fk_rows = await conn.fetch(query("schema_cache", "foreign_keys"), wanted)
        uk_rows = await conn.fetch(query("schema_cache", "unique_keys"), wanted)
        fn_rows = await conn.fetch(query("schema_cache", "functions"), wanted)
        type_rows = await conn.fetch(query("schema_cache", "types"), wanted)
        tz_rows = await conn.fetch(query("schema_cache", "timezones"))
        comment_rows = await conn.fetch(query("schema_cache", "schema_comments"), wanted)
        view_rows = await conn.fetch(query("schema_cache", "view_columns"), wanted)
        media_rows = await conn.fetch(query("schema_cache", "media_handlers"), wanted)
        postgis = bool(await conn.fetchval(query("schema_cache", "postgis")))
    columns = _columns(col_rows)
    views = _through_views(_view_sources(view_rows))
    tables = {
        (r["schema"], r["name"]): Table(
            schema=r["schema"],
            name=r["name"],
            kind=r["kind"],
            columns=columns.get((r["schema"], r["name"]), {}),
            pk=tuple(r["pk"]),
            insertable=r["insertable"],
            updatable=r["updatable"],
            deletable=r["deletable"],
            description=r["description"],
        )
        for r in rel_rows
    }
    functions: dict[tuple[str, str], list[Function]] = {}
    for r in fn_rows:
        functions.setdefault((r["schema"], r["name"]), []).append(_function(r, columns))
    unique: dict[tuple[str, str], list[tuple[str, ...]]] = {}
    for r in uk_rows:
        unique.setdefault((r["schema"], r["table"]), []).append(tuple(r["columns"]))
    foreign_keys = [
        ForeignKey(
            r["name"],
            (r["schema"], r["table"]),
            tuple(r["columns"]),
            (r["ref_schema"], r["ref_table"]),
            tuple(r["ref_columns"]),
        )
        for r in fk_rows
    ]
    _add_computed_columns(tables, functions)
    pks = {key: t.pk for key, t in tables.items()}
    foreign_keys += _view_foreign_keys(views, foreign_keys)
    for view, sources in views.items():
        table = tables.get(view)
        if table is None:
            continue
        inherited = _through(sources, _single_base(sources), pks)
        if inherited and not table.pk:
            tables[view] = replace(table, pk=inherited)
    types = {r["name"] for r in type_rows if r["schema"] == "pg_catalog"}
    types |= {f"{r['schema']}.{r['name']}" for r in type_rows if r["schema"] != "pg_catalog"}
    return SchemaCache(
        schemas=schemas,
        tables=tables,
        functions={k: tuple(v) for k, v in functions.items()},
        foreign_keys=tuple(foreign_keys),
        unique_keys={k: tuple(v) for k, v in unique.items()},
        types=frozenset(types),
        timezones=frozenset(r["name"] for r in tz_rows),
        schema_descriptions={r["schema"]: r["description"] for r in comment_rows},
        media_handlers=handler_map([tuple(r.values()) for r in media_rows]),
        postgis=postgis,
        load_seconds=time.monotonic() - started,
    )


def _add_computed_columns(
    tables: dict[tuple[str, str], Table], functions: dict[tuple[str, str], list[Function]]
) -> None:
    """PostgREST's computed fields: `f(t) RETURNS scalar` reads as column `f` of `t`."""
    for fns in functions.values():
        for fn in fns:
            table = tables.get(fn.arg_relation) if fn.arg_relation else None
            if table is None or fn.returns_set or not fn.returns_scalar:
                continue
            if fn.name in table.columns:
                continue
            sql = f'"{_quote(fn.schema)}"."{_quote(fn.name)}"'
            table.computed[fn.name] = Column(
                name=fn.name,
                type=fn.return_type,
                base_type=fn.return_base,
                category="",
                description=fn.description,
                computed=sql,
            )


def _quote(name: str) -> str:
    return name.replace('"', '""')


# view (schema, name) → {view column: (base schema, base table, base column)}
ViewSources = dict[tuple[str, str], dict[str, tuple[str, str, str]]]


def _view_sources(rows: Iterable[Any]) -> ViewSources:
    out: ViewSources = {}
    for r in rows:  # ordered: the last entry of a column number is the view's own
        out.setdefault((r["schema"], r["view"]), {})[r["column"]] = (
            r["base_schema"],
            r["base_table"],
            r["base_column"],
        )
    return out


def _through_views(views: ViewSources) -> ViewSources:
    """A view over a view shows the columns of the table under it: follow the chain (of
    views in the exposed schemas), as PostgREST does to any depth."""
    out: ViewSources = {}
    for view, sources in views.items():
        resolved: dict[str, tuple[str, str, str]] = {}
        for column, shown in sources.items():
            origin, seen = shown, {view}
            while (origin[0], origin[1]) in views and (origin[0], origin[1]) not in seen:
                seen.add((origin[0], origin[1]))
                below = views[(origin[0], origin[1])].get(origin[2])
                if below is None:
                    break
                origin = below
            resolved[column] = origin
        out[view] = resolved
    return out


def _single_base(sources: dict[str, tuple[str, str, str]]) -> tuple[str, str] | None:
    bases = {(s, t) for s, t, _ in sources.values()}
    return next(iter(bases)) if len(bases) == 1 else None


def _through(
    sources: dict[str, tuple[str, str, str]],
    base: tuple[str, str] | None,
    pks: dict[tuple[str, str], tuple[str, ...]],
) -> tuple[str, ...]:
    """The view columns showing the whole primary key of its (single) base table."""
    if base is None:
        return ()
    by_base = {(s, t, c): v for v, (s, t, c) in sources.items()}
    cols = [by_base.get((*base, c)) for c in pks.get(base, ())]
    return tuple(c for c in cols if c is not None) if cols and all(cols) else ()


def _view_foreign_keys(views: ViewSources, fks: list[ForeignKey]) -> list[ForeignKey]:
    """Foreign keys of base tables restated for the views that show their columns: view
    to table, table to view and view to view (SchemaCache.hs addViewM2OAndO2ORels)."""
    out: list[ForeignKey] = []
    for fk in fks:
        # (relation, its columns for the key's own columns / for the referenced ones)
        froms: list[tuple[tuple[str, str], tuple[str, ...]]] = [(fk.table, fk.columns)]
        tos: list[tuple[tuple[str, str], tuple[str, ...]]] = [(fk.ref_table, fk.ref_columns)]
        for view, sources in views.items():
            by_base = {(s, t, c): v for v, (s, t, c) in sources.items()}
            mine = [by_base.get((*fk.table, c)) for c in fk.columns]
            if all(mine):
                froms.append((view, tuple(c for c in mine if c)))
            theirs = [by_base.get((*fk.ref_table, c)) for c in fk.ref_columns]
            if all(theirs):
                tos.append((view, tuple(c for c in theirs if c)))
        for i, (source, columns) in enumerate(froms):
            for j, (target, ref_columns) in enumerate(tos):
                if i or j:  # the table-to-table key itself is already there
                    out.append(ForeignKey(fk.name, source, columns, target, ref_columns))
    return out


class Reloader:
    """Holds the current SchemaCache and replaces it on NOTIFY or SIGUSR1."""

    DEBOUNCE = 0.1

    def __init__(
        self, connect: Callable[[], Any], schemas: tuple[str, ...], channel: str | None
    ) -> None:
        self._connect = connect
        self._schemas = schemas
        self._channel = channel
        self.cache: SchemaCache | None = None
        self.last_error: str | None = None
        self._pending: asyncio.TimerHandle | None = None
        self._listener: asyncpg.Connection | None = None
        self._tasks: set[asyncio.Task[bool]] = set()
        self._lock = asyncio.Lock()
        self._closed = False
        self._listen_task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.reload()
        loop = asyncio.get_running_loop()
        try:
            loop.add_signal_handler(signal.SIGUSR1, self.request_reload)
        except (NotImplementedError, RuntimeError, ValueError):
            log.debug("SIGUSR1 reloads are not available in this thread")
        if self._channel:
            self._listen_task = asyncio.create_task(self._listen_forever())

    async def close(self) -> None:
        self._closed = True
        if self._pending is not None:
            self._pending.cancel()
        if self._listen_task is not None:
            self._listen_task.cancel()
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            asyncio.get_running_loop().remove_signal_handler(signal.SIGUSR1)
        if self._listener is not None:
            try:
                await self._listener.close(timeout=2)
            except Exception:
                self._listener.terminate()

    def request_reload(self) -> None:
        """Debounced: a burst of notifications causes one reload."""
        if self._closed:
            return
        loop = asyncio.get_running_loop()
        if self._pending is not None:
            self._pending.cancel()
        self._pending = loop.call_later(self.DEBOUNCE, self._spawn_reload)

    def _spawn_reload(self) -> None:
        self._pending = None
        task = asyncio.get_running_loop().create_task(self.reload())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def reload(self) -> bool:
        async with self._lock:
            try:
                conn = await self._connect()
                try:
                    cache = await load(conn, self._schemas)
                finally:
                    await conn.close()
            except Exception as exc:
                self.last_error = f"{type(exc).__name__}: {exc}"
                if self.cache is None:
                    log.error("schema cache load failed: %s", self.last_error)
                else:
                    log.error(
                        "schema cache reload failed, keeping the previous one: %s", self.last_error
                    )
                return False
            self.cache = cache
            self.last_error = None
            log.info(
                "schema cache loaded in %.0f ms: %d relations, %d functions",
                cache.load_seconds * 1000,
                len(cache.tables),
                len(cache.functions),
            )
            return True

    def _on_notify(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        if payload in ("", "reload schema"):
            self.request_reload()

    async def _listen_forever(self) -> None:
        delay = 0.5
        while not self._closed:
            try:
                conn = await self._connect()
                self._listener = conn
                await conn.add_listener(self._channel, self._on_notify)
                log.info("listening for schema reloads on channel %s", self._channel)
                if self.cache is None or delay > 0.5:
                    self.request_reload()  # catch up on anything missed while disconnected
                delay = 0.5
                closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

                def _lost(_conn: Any, done: asyncio.Future[None] = closed) -> None:
                    if not done.done():
                        done.set_result(None)

                conn.add_termination_listener(_lost)
                await closed
                log.error("schema reload listener connection lost; reconnecting")
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.error("schema reload listener failed: %s", exc)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 30.0)

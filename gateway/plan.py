"""Stage 3: ApiRequest and SchemaCache → ActionPlan. Pure.

Resolves every name against the schema cache (tables, columns, functions, types),
so the query stage only ever formats identifiers that exist in the catalog. Chooses
the media type, the function overload, the range (with db-max-rows) and the count
strategy; plans embeds (relationships.py) and writes (mutate.py). Errors are
PostgREST's: 404 PGRST205/202, 406 PGRST107/106, 400 42703 for an unknown column, 300
PGRST203 for an ambiguous overload, 300/400 PGRST201/200 for embeds.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Literal

from gateway import errors, media
from gateway._fuzzy import best as _fuzzy_best
from gateway.errors import ApiError
from gateway.media import MediaHandler
from gateway.mutate import MutatePlan, check_limits, plan_mutation
from gateway.relationships import Relationship, find
from gateway.request import ApiRequest, MediaType, Range, parse_filter, split_query
from gateway.schema_cache import Column, Function, SchemaCache, Table
from gateway.syntax import (
    Field,
    Filter,
    JsonOp,
    LogicTree,
    OpExpr,
    OrderTerm,
    SelectField,
    SelectItem,
    SelectRelation,
)

Media = Literal["json", "object", "csv", "openapi", "text", "octet", "array", "geojson", "custom"]

CONTENT_TYPES: dict[str, bytes] = {
    "json": b"application/json; charset=utf-8",
    "array": b"application/vnd.pgrst.array+json; charset=utf-8",
    "object": b"application/vnd.pgrst.object+json; charset=utf-8",
    "csv": b"text/csv; charset=utf-8",
    "openapi": b"application/openapi+json; charset=utf-8",
    "text": b"text/plain; charset=utf-8",
    "octet": b"application/octet-stream",
    "geojson": b"application/geo+json; charset=utf-8",
    "json-stripped": b"application/vnd.pgrst.array+json;nulls=stripped; charset=utf-8",
    "object-stripped": b"application/vnd.pgrst.object+json;nulls=stripped; charset=utf-8",
}

# Casts PostgreSQL's grammar accepts besides pg_type names (select=col::int).
_CAST_ALIASES = frozenset(
    {
        "int",
        "integer",
        "smallint",
        "bigint",
        "real",
        "float",
        "double precision",
        "decimal",
        "boolean",
        "character varying",
        "character",
        "varchar",
        "char",
        "timestamp",
        "timestamp with time zone",
        "timestamp without time zone",
        "time with time zone",
        "time without time zone",
        "dec",
        "bit varying",
    }
)


@dataclass(frozen=True, slots=True)
class CField:
    """A field resolved against its relation: the column, its JSON path and SQL type."""

    name: str
    json_path: tuple[JsonOp, ...] = ()
    to_json: bool = False  # a JSON path on a non-JSON column goes through to_jsonb
    type: str | None = None  # the expression's SQL type, to cast filter values to
    tsvector: bool = False
    embed_null: bool = False  # `embed.is.null` inside and/or: tests the embed, not a column
    computed: str | None = None  # a computed column: this function of the row


@dataclass(frozen=True, slots=True)
class CSelect:
    field: CField | None  # None: "*" (or count(), or an embed)
    cast: str | None = None
    alias: str | None = None  # a user-chosen output name (alias, JSON key, embed)
    aggregate: str | None = None
    aggregate_cast: str | None = None
    embed: EmbedPlan | None = None


@dataclass(frozen=True, slots=True)
class CFilter:
    field: CField
    expr: OpExpr


@dataclass(frozen=True, slots=True)
class CLogic:
    negated: bool
    op: Literal["and", "or"]
    children: tuple[CFilter | CLogic, ...]


@dataclass(frozen=True, slots=True)
class COrder:
    field: CField
    direction: str | None
    nulls: str | None
    relation: str | None = None  # order by a column of this to-one embed


@dataclass(slots=True)
class ReadPlan:
    """Rows from a relation, or from a function's result, shaped by the query string."""

    schema: str
    name: str  # relation name, or the alias of the function call
    select: tuple[CSelect, ...]
    where: tuple[CFilter | CLogic, ...]
    order: tuple[COrder, ...]
    range: Range
    star_columns: tuple[str, ...] = ()  # what "*" expands to, in order
    sql_alias: str | None = None  # an embed's relation alias, PostgREST's (`books_1`)


@dataclass(slots=True)
class EmbedPlan:
    """A resource embedded through a relationship, read by a lateral subquery."""

    rel: Relationship
    read: ReadPlan
    inner: bool = False
    spread: bool = False
    null_filter: str | None = None  # "NULL" / "NOT NULL": `clients=is.null` on the parent


@dataclass(slots=True)
class CallPlan:
    function: Function
    # "json": named args from a JSON object body; "query": named args from the query
    # string; "single": the raw body as the one unnamed argument.
    args_from: Literal["json", "query", "single", "none"]
    args: list[tuple[str, str | list[str]]] = field(default_factory=list)  # query args
    arg_names: tuple[str, ...] = ()  # json args present in the body
    body: bytes = b""


@dataclass(slots=True)
class ActionPlan:
    kind: Literal["read", "call", "mutate", "openapi", "info"]
    media: Media = "json"
    nulls_stripped: bool = False
    read: ReadPlan | None = None
    call: CallPlan | None = None
    count: Literal["exact", "planned", "estimated"] | None = None
    headers_only: bool = False
    read_only: bool = True
    allow: str = ""
    max_rows: int | None = None
    mutate: MutatePlan | None = None
    explain: Explain | None = None
    handler: MediaHandler | None = None  # media == "custom": who renders the body
    handler_row: tuple[str, str] | None = None  # the row type its aggregate is given


# --- helpers ------------------------------------------------------------------------------


def _unknown_column(relation: str, column: str) -> ApiError:
    # PostgreSQL's own message for the query PostgREST would have sent
    return ApiError(400, "42703", f"column {relation}.{column} does not exist")


def _duplicate_alias(alias: str) -> ApiError:
    # PostgreSQL's error for the two lateral joins PostgREST would write with one alias
    return ApiError(400, "42712", f'table name "{alias}" specified more than once')


def _fuzzy(word: str, choices: list[str]) -> str | None:
    return _fuzzy_best(word, choices, 0.75)


def _expr_type(col: Column, path: tuple[JsonOp, ...]) -> tuple[str, bool]:
    """(type of `col` followed by `path`, whether the column needs to_jsonb first)."""
    if not path:
        return col.type, False
    to_json = not col.is_json
    json_kind = col.base_type if col.is_json else "jsonb"
    return ("text" if path[-1][0] == "->>" else json_kind), to_json


def _field(columns: dict[str, Column], relation: str, fld: Field) -> CField:
    col = columns.get(fld.name)
    if col is None:
        raise _unknown_column(relation, fld.name)
    typ, to_json = _expr_type(col, fld.json_path)
    return CField(
        fld.name,
        fld.json_path,
        to_json,
        typ,
        tsvector=(col.base_type == "tsvector" and not fld.json_path),
        computed=col.computed,
    )


def _output_name(fld: Field) -> str | None:
    """PostgREST names `data->a->>b` "b", and `data->1` after the last key, or the column."""
    if not fld.json_path:
        return None
    for _arrow, operand in reversed(fld.json_path):
        if isinstance(operand, str):
            return operand
    return fld.name


def _cast(cast: str | None, cache: SchemaCache) -> str | None:
    if cast is None:
        return None
    name = " ".join(cast.lower().split())
    if name in _CAST_ALIASES or name in cache.types or cast in cache.types:
        return name if name in _CAST_ALIASES or name in cache.types else cast
    raise ApiError(400, "42704", f'type "{cast}" does not exist')


def _star(columns: dict[str, Column]) -> tuple[str, ...]:
    return tuple(c.name for c in sorted(columns.values(), key=lambda c: c.position))


def _select(
    items: tuple[SelectItem, ...],
    columns: dict[str, Column],
    relation: str,
    cache: SchemaCache,
    aggregates: bool = False,
) -> tuple[CSelect, ...]:
    out: list[CSelect] = []
    for item in items:
        if isinstance(item, SelectRelation):  # rows with no table type embed nothing
            raise errors.no_relationship(relation, item.name, "", None)
        assert isinstance(item, SelectField)
        if item.aggregate is not None and not aggregates:
            raise errors.aggregates_not_allowed()
        if (  # `select=count` without a count column: count(*), kept for compatibility
            aggregates
            and item.field == Field("count")
            and item.cast is None
            and item.aggregate is None
            and "count" not in columns
        ):
            out.append(CSelect(None, None, item.alias, "count", None))
            continue
        if item.field.name == "*":
            out.append(
                CSelect(None, None, item.alias, item.aggregate, _cast(item.aggregate_cast, cache))
            )
            continue
        cf = _field(columns, relation, item.field)
        alias = item.alias or _output_name(item.field)
        out.append(
            CSelect(
                cf,
                _cast(item.cast, cache),
                alias,
                item.aggregate,
                _cast(item.aggregate_cast, cache),
            )
        )
    return tuple(out)


def _where(
    req: ApiRequest,
    filters: list[Filter],
    columns: dict[str, Column],
    relation: str,
    path: tuple[str, ...] = (),
    *,
    embeds: dict[str, EmbedPlan] | None = None,
) -> tuple[CFilter | CLogic, ...]:
    out: list[CFilter | CLogic] = [
        CFilter(_field(columns, relation, f.field), f.expr) for f in filters
    ]
    for tree_path, tree in req.logic:
        if tree_path == path:
            out.append(_logic(tree, columns, relation, embeds))
    return tuple(out)


def _logic(
    tree: LogicTree,
    columns: dict[str, Column],
    relation: str,
    embeds: dict[str, EmbedPlan] | None = None,
) -> CLogic:
    children: list[CFilter | CLogic] = []
    for child in tree.children:
        if isinstance(child, LogicTree):
            children.append(_logic(child, columns, relation, embeds))
        elif embeds and child.field.name in embeds and not child.field.json_path:
            state = _NULL_EMBED.get((str(child.expr.value), child.expr.negated))
            if child.expr.op != "is" or state is None:
                raise errors.unacceptable_filter(child.field.name)
            field = CField(child.field.name, embed_null=True)
            children.append(CFilter(field, OpExpr(False, "is", state)))
        else:
            children.append(CFilter(_field(columns, relation, child.field), child.expr))
    return CLogic(tree.negated, tree.op, tuple(children))


def _order(
    terms: tuple[OrderTerm, ...], columns: dict[str, Column], relation: str
) -> tuple[COrder, ...]:
    out = []
    for term in terms:
        if term.relation is not None:
            raise errors.not_embedded(term.relation)
        out.append(COrder(_field(columns, relation, term.field), term.direction, term.nulls))
    return tuple(out)


def _check_embed_paths(
    req: ApiRequest, top_filters: list[Filter], known: frozenset[tuple[str, ...]] = frozenset()
) -> list[Filter]:
    """Filters, logic, order and limits addressed to an embed must name one in select."""
    paths = [p for p, _ in req.filters] + [p for p, _ in req.logic]
    paths += list(req.order) + list(req.ranges)
    for path in paths:
        if path and path not in known:
            raise errors.not_embedded(path[-1])
    return top_filters


_NULL_EMBED = {
    ("NULL", False): "NULL",
    ("NOT NULL", True): "NULL",
    ("NULL", True): "NOT NULL",
    ("NOT NULL", False): "NOT NULL",
}


@dataclass(slots=True)
class _Tree:
    """What every level of a select tree needs: the request, the cache, the embed paths
    seen so far (to reject filters on others) and whether aggregates are allowed."""

    req: ApiRequest
    cache: SchemaCache
    known: set[tuple[str, ...]]
    aggregates: bool


def _embed_node(
    tree: _Tree, table: Table, item: SelectRelation, path: tuple[str, ...]
) -> EmbedPlan:
    """The embed `item` of `table`, reached at `path`, with its own select tree."""
    if len(path) > 8:
        raise errors.query_param("Embedding is nested too deeply", "At most 8 levels")
    rel = find(tree.cache, table, item.name, item.hint)
    if item.spread and not rel.to_one and not tree.aggregates:
        raise errors.aggregates_not_allowed()  # it aggregates into arrays (v13)
    tree.known.add(path)
    depth = len(path)
    # many-to-many joins its junction unaliased; other embeds are `<table>_<depth>`
    label = rel.target.name if rel.junction else f"{rel.target.name}_{depth}"
    rng = tree.req.ranges.get(path, Range())
    child = _read_node(tree, rel.target, item.children, path, rng, label=label)
    child.sql_alias = label
    if item.spread and not rel.to_one and _aggregates_in(child):
        # PostgREST 13 (addToManyOrderSelects); 14 computes them per parent row
        raise errors.not_implemented(
            "Aggregates are not implemented for one-to-many or many-to-many spreads."
        )
    return EmbedPlan(rel, child, item.join_type == "inner", item.spread)


def grouped_columns(read: ReadPlan) -> list[str]:
    """The columns a grouped to-one embed's lateral row shows: its plain grouped ones."""
    out: list[str] = []
    for s in read.select:
        f = s.field
        if s.embed is None and f is None and s.aggregate is None:
            out.extend(read.star_columns)
        elif f and not (s.aggregate or s.cast or f.json_path or f.computed):
            out.append(f.name)
    return list(dict.fromkeys(out))


def _aggregates_in(read: ReadPlan) -> bool:
    """Whether `read` aggregates, itself or through the to-one spreads hoisted into it."""
    return any(
        s.aggregate is not None
        or (
            s.embed is not None
            and s.embed.spread
            and s.embed.rel.to_one
            and _aggregates_in(s.embed.read)
        )
        for s in read.select
    )


def _read_node(  # noqa: PLR0917 - one level of the select tree
    tree: _Tree,
    table: Table,
    items: tuple[SelectItem, ...],
    path: tuple[str, ...],
    rng: Range,
    label: str | None = None,
    extra: tuple[Filter, ...] = (),
) -> ReadPlan:
    """One level of a select tree: its columns, its embeds (recursively), and the
    filters, logic trees, order and range addressed to its path. `label` names the
    level in messages: PostgREST's alias of the relation in the SQL it would send (the
    table at the top, `books_1` for an embed at depth 1, a function's name for its
    result rows), as PostgreSQL's "column … does not exist" names it."""
    req, cache, aggregates = tree.req, tree.cache, tree.aggregates
    name = label or table.name
    depth = len(path) + 1  # of this level's embeds
    # computed columns (functions of the row) select, filter and order like columns
    columns = {**table.columns, **table.computed} if table.computed else table.columns
    embeds: dict[str, EmbedPlan] = {}
    plain: list[SelectItem] = []
    positions: list[str | None] = []
    for item in items:
        if isinstance(item, SelectRelation):
            key = item.alias or item.name
            if key in embeds:  # PostgREST joins both as the same lateral alias
                raise _duplicate_alias(f"{table.name}_{key}_{depth}")
            embeds[key] = _embed_node(tree, table, item, (*path, key))
            positions.append(key)
        else:
            plain.append(item)
            positions.append(None)
    planned = iter(_select(tuple(plain), columns, name, cache, aggregates))
    select = tuple(
        CSelect(None, alias=key, embed=embeds[key]) if key is not None else next(planned)
        for key in positions
    )
    filters: list[Filter] = []
    addressed = [f for fpath, f in req.filters if fpath == path] + list(extra)
    for f in addressed:
        embed = embeds.get(f.field.name)
        if embed is not None and not f.field.json_path:
            state = _NULL_EMBED.get((str(f.expr.value), f.expr.negated))
            if f.expr.op != "is" or state is None:
                raise errors.unacceptable_filter(f.field.name)
            embed.null_filter = state
            continue
        filters.append(f)
    order: list[COrder] = []
    for term in req.order.get(path, ()):
        if term.relation is None:
            order.extend(_order((term,), columns, name))
            continue
        embed = embeds.get(term.relation)
        if embed is None:
            raise errors.not_embedded(term.relation)
        if not embed.rel.to_one:
            raise errors.related_order_not_to_one(table.name, term.relation)
        target = embed.rel.target
        # PostgREST orders by the embed's lateral alias, `<parent>_<embed>_<depth>`
        lateral = f"{table.name}_{term.relation}_{depth}"
        field = _field(target.columns, lateral, term.field)
        if _aggregates_in(embed.read) and term.field.name not in grouped_columns(embed.read):
            raise _unknown_column(lateral, term.field.name)  # not a column its row shows
        order.append(COrder(field, term.direction, term.nulls, term.relation))
    return ReadPlan(
        schema=table.schema,
        name=table.name,
        select=select,
        where=_where(req, filters, columns, name, path, embeds=embeds),
        order=tuple(order),
        range=rng,
        star_columns=_star(table.columns),
    )


# --- media types --------------------------------------------------------------------------


def negotiate(
    accept: tuple[MediaType, ...], offers: dict[str, Media], default: Media
) -> tuple[Media, bool]:
    for mt in accept:
        if mt.type in ("*/*", "application/*") and mt.type not in offers:
            return default, False
        media = offers.get(mt.type)
        if media is not None:
            # nulls=stripped means something only on PostgREST's vendor types
            return media, mt.nulls_stripped and mt.type.startswith("application/vnd.pgrst.")
    raise errors.media_type([str(m) for m in accept])


_READ_OFFERS: dict[str, Media] = {
    "application/json": "json",
    "application/vnd.pgrst.array+json": "json",
    "application/vnd.pgrst.object+json": "object",
    "application/vnd.pgrst.object": "object",
    "text/csv": "csv",
    media.GEOJSON: "geojson",
    "*/*": "json",
}

_DEFAULT_SELECT = (SelectField(Field("*")),)


def _negotiate(
    req: ApiRequest,
    cache: SchemaCache,
    offers: dict[str, Media],
    target: tuple[str, str],
) -> media.Resolved:
    """Builtins and the schema cache's media-type handlers (gateway/media.py)."""
    found = media.negotiate(
        req.accept,
        dict(offers),
        "json",
        handlers=cache.media_handlers,
        target=target,
        default_select=req.select == _DEFAULT_SELECT,
    )
    if found.media == "geojson" and not cache.postgis and req.method != "HEAD":
        raise media.no_postgis()
    return found


def _handler_row(
    found: media.Resolved, req: ApiRequest, relation: tuple[str, str] | None
) -> tuple[str, str] | None:
    """With the default select the rows are cast to the relation's type, so that an
    aggregate of that type applies (PostgREST's customFuncF); otherwise they go as they are."""
    if found.handler is None or not found.handler.aggregate or req.select != _DEFAULT_SELECT:
        return None
    return relation


# --- the plan -----------------------------------------------------------------------------


def _range(req: ApiRequest, max_rows: int | None) -> Range:
    return req.top_range.restrict(max_rows)


def _count(req: ApiRequest) -> Literal["exact", "planned", "estimated"] | None:
    return req.prefer.count


def plan(  # noqa: PLR0917 - the request, the cache and the configuration switches
    req: ApiRequest,
    cache: SchemaCache,
    max_rows: int | None = None,
    openapi_enabled: bool = True,
    aggregates_enabled: bool = False,
    plan_enabled: bool = False,
) -> ActionPlan:
    _check_timezone(req, cache)
    if req.target == "root":
        return _plan_root(req, openapi_enabled)
    explain = _explain(req) if plan_enabled else None
    if explain is not None:  # the statement is planned for the media type it names
        req.accept = (MediaType(explain.inner),)
    if req.target == "relation":
        action = _plan_relation(req, cache, max_rows, aggregates_enabled)
    else:
        action = _plan_call(req, cache, max_rows, aggregates_enabled)
    action.explain = explain
    return action


@dataclass(frozen=True, slots=True)
class Explain:
    """Accept: application/vnd.pgrst.plan[+text|+json]; for="…"; options=a|b (db-plan-enabled)."""

    format: Literal["json", "text"]
    inner: str
    options: tuple[str, ...]

    def content_type(self) -> bytes:
        options = f"; options={'|'.join(self.options)}" if self.options else ""
        return (
            f'application/vnd.pgrst.plan+{self.format}; for="{self.inner}"{options}; charset=utf-8'
        ).encode()

    def sql(self) -> str:
        words = [f"FORMAT {self.format.upper()}", *(o.upper() for o in self.options)]
        return f"EXPLAIN ({', '.join(words)}) "


_PLAN_TYPES = {
    "application/vnd.pgrst.plan": "text",
    "application/vnd.pgrst.plan+text": "text",
    "application/vnd.pgrst.plan+json": "json",
}
_PLAN_OPTIONS = ("analyze", "verbose", "settings", "buffers", "wal")
_PLAN_INNER = {
    "application/json": "application/json",
    "application/vnd.pgrst.object": "application/vnd.pgrst.object+json",
    "application/vnd.pgrst.object+json": "application/vnd.pgrst.object+json",
    "application/vnd.pgrst.array+json": "application/json",
    "text/csv": "text/csv",
}


def _explain(req: ApiRequest) -> Explain | None:
    first = req.accept[0]
    fmt = _PLAN_TYPES.get(first.type)
    if fmt is None:
        return None
    params = dict(first.params)
    asked_for = params.get("for", "application/json").lower()
    # another media type than the builtins: a custom handler's, found by negotiation
    inner = _PLAN_INNER.get(asked_for)
    if inner is None and "/" in asked_for and not asked_for.startswith("application/vnd.pgrst"):
        inner = asked_for
    if inner is None:
        raise errors.media_type([str(m) for m in req.accept])
    asked = {o.strip().lower() for o in params.get("options", "").split("|") if o.strip()}
    if asked - set(_PLAN_OPTIONS):
        raise errors.media_type([str(m) for m in req.accept])
    options = tuple(o for o in _PLAN_OPTIONS if o in asked)
    return Explain("json" if fmt == "json" else "text", inner, options)


def _check_timezone(req: ApiRequest, cache: SchemaCache) -> None:
    """An unknown Prefer: timezone is ignored, or a PGRST122 with handling=strict."""
    prefs = req.prefer
    if prefs.timezone is not None and prefs.timezone not in cache.timezones:
        if prefs.handling == "strict":
            raise errors.invalid_preferences([*prefs.invalid, f"timezone={prefs.timezone}"])
        prefs.timezone = None


def _plan_root(req: ApiRequest, openapi_enabled: bool) -> ActionPlan:
    if req.method == "OPTIONS":
        return ActionPlan("info", allow="OPTIONS,GET,HEAD")
    if req.method not in ("GET", "HEAD"):
        raise errors.unsupported_method(req.method)
    if not openapi_enabled:
        raise errors.openapi_disabled()
    kind, _ = negotiate(
        req.accept,
        {"application/openapi+json": "openapi", "application/json": "openapi"},
        "openapi",
    )
    return ActionPlan("openapi", media=kind, headers_only=req.method == "HEAD")


def _table(req: ApiRequest, cache: SchemaCache) -> Table:
    table = cache.table(req.schema, req.name)
    if table is None:
        hint = _fuzzy(req.name, cache.table_names(req.schema))
        raise errors.table_not_found(
            req.schema,
            req.name,
            f"Perhaps you meant the table '{req.schema}.{hint}'" if hint else None,
        )
    return table


def _plan_relation(
    req: ApiRequest, cache: SchemaCache, max_rows: int | None, aggregates: bool
) -> ActionPlan:
    table = _table(req, cache)
    if req.method == "OPTIONS":
        allow = ["OPTIONS,GET,HEAD"]
        if table.insertable:
            allow.append("POST")
        if table.insertable and table.updatable and table.pk:
            allow.append("PUT")
        if table.updatable:
            allow.append("PATCH")
        if table.deletable:
            allow.append("DELETE")
        return ActionPlan("info", allow=",".join(allow))
    if req.method in ("POST", "PATCH", "PUT", "DELETE"):
        return _plan_mutation(req, table, cache, aggregates)
    if req.method not in ("GET", "HEAD"):
        raise errors.unsupported_method(req.method)
    known: set[tuple[str, ...]] = set()
    tree = _Tree(req, cache, known, aggregates)
    read = _read_node(tree, table, req.select, (), _range(req, max_rows))
    _check_embed_paths(req, [], frozenset(known))
    found = _negotiate(req, cache, _READ_OFFERS, (table.schema, table.name))
    return ActionPlan(
        "read",
        media=found.media,  # type: ignore[arg-type]
        nulls_stripped=found.stripped,
        handler=found.handler,
        handler_row=_handler_row(found, req, (table.schema, table.name)),
        read=read,
        count=_count(req),
        headers_only=req.method == "HEAD",
        read_only=True,
        max_rows=max_rows,
    )


def _plan_mutation(
    req: ApiRequest, table: Table, cache: SchemaCache, aggregates: bool
) -> ActionPlan:
    too_far = check_limits(req, table)
    if too_far is not None:
        raise too_far
    mutation = plan_mutation(req, table)
    known: set[tuple[str, ...]] = set()
    rng = req.ranges.get((), Range()) if mutation.limited else Range()
    read = _read_node(_Tree(req, cache, known, aggregates), table, req.select, (), rng)
    _check_embed_paths(req, [], frozenset(known))
    if mutation.kind in ("insert", "upsert"):
        # filters of an insert are meaningless; PUT's became the conflict target
        read.where = ()
    found = _negotiate(req, cache, _READ_OFFERS, (table.schema, table.name))
    return ActionPlan(
        "mutate",
        media=found.media,  # type: ignore[arg-type]
        nulls_stripped=found.stripped,
        handler=found.handler,
        handler_row=_handler_row(found, req, (table.schema, table.name)),
        read=read,
        count=_count(req),
        read_only=False,
        mutate=mutation,
    )


# --- functions ----------------------------------------------------------------------------

_SINGLE_TYPES = {
    "application/json": ("json", "jsonb"),
    "text/plain": ("text",),
    "application/octet-stream": ("bytea",),
    "text/xml": ("xml",),
}


def _single_unnamed(fns: tuple[Function, ...], content_type: str) -> Function | None:
    wanted = _SINGLE_TYPES.get(content_type, ())
    for fn in fns:
        if len(fn.params) == 1 and fn.params[0].name == "" and fn.params[0].base_type in wanted:
            return fn
    return None


def _matching(fns: tuple[Function, ...], keys: set[str]) -> list[Function]:
    out = []
    for fn in fns:
        names = {p.name for p in fn.params}
        if "" in names:
            continue
        if keys <= names and fn.required <= keys:
            out.append(fn)
    return out


_SINGLE_ONLY = {"text/plain": "text", "text/xml": "xml", "application/octet-stream": "bytea"}


def _no_rpc(
    req: ApiRequest, cache: SchemaCache, keys: list[str], fns: tuple[Function, ...], is_post: bool
) -> ApiError:
    func = f"{req.schema}.{req.name}"
    ordered = sorted(keys)
    if ordered:
        prms = " with parameter" + ("s " if len(ordered) > 1 else " ") + ", ".join(ordered)
    else:
        prms = " without parameters"
    if is_post and req.content_type == "application/json":
        prms += " or with a single unnamed json/jsonb parameter"
    elif is_post and req.content_type in _SINGLE_ONLY:
        prms = f" with a single unnamed {_SINGLE_ONLY[req.content_type]} parameter"
        details = (
            f"Searched for the function {func}{prms}, but no matches were found in the "
            "schema cache."
        )
        return errors.no_rpc(req.schema, req.name, [], details, None, single=True)
    details = (
        f"Searched for the function {func}{prms}, but no matches were found in the schema cache."
    )
    hint: str | None = None
    if not fns:
        near = _fuzzy(req.name, cache.function_names(req.schema))
        if near:
            hint = f"Perhaps you meant to call the function {req.schema}.{near}"
    else:
        options = ["(" + ", ".join(sorted(p.name for p in fn.params)) + ")" for fn in fns]
        asked = "(" + ", ".join(ordered) + ")"
        guess = _fuzzy_best(asked, options, 0.33)
        if guess:
            hint = f"Perhaps you meant to call the function {func}{guess}"
    return errors.no_rpc(req.schema, req.name, ordered, details, hint)


def _plan_call(  # noqa: PLR0912, PLR0915 - one decision list, read top to bottom
    req: ApiRequest, cache: SchemaCache, max_rows: int | None, aggregates: bool
) -> ActionPlan:
    fns = cache.functions.get((req.schema, req.name), ())
    is_post = req.method == "POST"
    if req.method == "OPTIONS":
        if not fns:
            raise _no_rpc(req, cache, [], fns, False)
        volatile = any(fn.volatility == "v" for fn in fns)
        return ActionPlan("info", allow="OPTIONS,POST" if volatile else "OPTIONS,GET,HEAD,POST")
    if req.method not in ("GET", "HEAD", "POST"):
        raise errors.invalid_rpc_method(req.method)
    call: CallPlan
    filter_params: list[tuple[str, str]]
    if is_post:
        single = _single_unnamed(fns, req.content_type)
        keys: list[str] = []
        filter_params = req.filter_params + req.params  # on POST every parameter filters
        if single is not None:
            fn = single
            call = CallPlan(single, "single", body=req.body)
        elif req.content_type == "application/x-www-form-urlencoded":
            pairs = [(k, v or "") for k, v in split_query(req.body)]
            if req.columns is not None:
                pairs = [(k, v) for k, v in pairs if k in req.columns]
            fn, call = _query_call(req, cache, fns, pairs, True)
        elif req.content_type not in ("application/json", ""):
            raise _no_rpc(req, cache, [], fns, True)
        else:
            keys = _json_keys(req.body)
            if req.columns is not None:
                keys = [k for k in keys if k in req.columns]
            fn = _resolve(req, cache, fns, keys, True)
            call = CallPlan(fn, "json" if keys else "none", arg_names=tuple(keys), body=req.body)
    else:
        filter_params = req.filter_params
        fn, call = _query_call(req, cache, fns, req.params, False)
    read_only = req.method in ("GET", "HEAD") or fn.volatility != "v"
    strict = req.prefer.handling == "strict"
    if strict and req.prefer.max_affected is not None and not fn.returns_set:
        raise errors.max_affected_rpc()
    offers = dict(_READ_OFFERS)
    if fn.returns_scalar and not fn.returns_set:
        if fn.return_base in ("text", "varchar", "bpchar", "name", "citext"):
            offers["text/plain"] = "text"
        if fn.return_base == "bytea":
            offers["application/octet-stream"] = "octet"
    found = _negotiate(req, cache, offers, fn.ret_relation or (fn.schema, fn.name))
    kind: Media = found.media  # type: ignore[assignment]
    stripped = found.stripped
    filters = [parse_filter(k, v)[1] for k, v in filter_params]
    if fn.returns_composite:
        known: set[tuple[str, ...]] = set()
        base = cache.tables.get(fn.ret_relation) if fn.ret_relation else None
        if base is None:
            base = Table(fn.schema, fn.name, "c", fn.ret_columns or {})
        tree = _Tree(req, cache, known, aggregates)
        read = _read_node(
            tree, base, req.select, (), _range(req, max_rows), label=fn.name, extra=tuple(filters)
        )
        _check_embed_paths(req, [], frozenset(known))
        read.schema, read.name = fn.schema, fn.name
        return ActionPlan(
            "call",
            media=kind,
            nulls_stripped=stripped,
            handler=found.handler,
            handler_row=_handler_row(found, req, fn.ret_relation),
            read=read,
            call=call,
            count=_count(req),
            headers_only=req.method == "HEAD",
            read_only=read_only,
            max_rows=max_rows,
        )
    filters += [f for path, f in req.filters if not path]
    _check_embed_paths(req, filters)
    columns = fn.ret_columns or {}
    if fn.returns_composite or req.has_select:
        select = (
            _select(req.select, columns, fn.name, cache, aggregates)
            if fn.returns_composite
            else (CSelect(None),)
        )
    else:
        select = (CSelect(None),)
    if not fn.returns_composite and (filters or req.logic or req.order.get(())):
        # filters, order on a scalar result have no column to apply to
        first = (
            filters[0].field.name
            if filters
            else req.order[()][0].field.name
            if req.order.get(())
            else ""
        )
        raise _unknown_column(fn.name, first or "pgrst_scalar")
    read = ReadPlan(
        schema=fn.schema,
        name=fn.name,
        select=select,
        where=_where(req, filters, columns, fn.name),
        order=_order(req.order.get((), ()), columns, fn.name),
        range=_range(req, max_rows),
        star_columns=_star(columns),
    )
    return ActionPlan(
        "call",
        media=kind,
        nulls_stripped=stripped,
        handler=found.handler,
        handler_row=_handler_row(found, req, fn.ret_relation),
        read=read,
        call=call,
        count=_count(req),
        headers_only=req.method == "HEAD",
        read_only=read_only,
        max_rows=max_rows,
    )


def _query_call(
    req: ApiRequest,
    cache: SchemaCache,
    fns: tuple[Function, ...],
    pairs: list[tuple[str, str]],
    is_post: bool,
) -> tuple[Function, CallPlan]:
    """Arguments given as key=value text (query string, form body); repeated keys fill a
    VARIADIC parameter, otherwise the last one wins."""
    keys = list(dict.fromkeys(k for k, _ in pairs))
    fn = _resolve(req, cache, fns, keys, is_post)
    by_name = {p.name: p for p in fn.params}
    args: dict[str, str | list[str]] = {}
    for k, v in pairs:
        if by_name[k].variadic:
            existing = args.setdefault(k, [])
            assert isinstance(existing, list)
            existing.append(v)
        else:
            args[k] = v
    return fn, CallPlan(fn, "query" if args else "none", args=list(args.items()))


def _json_keys(body: bytes) -> list[str]:
    if not body.strip():
        return []
    try:
        value = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise errors.invalid_body("Empty or invalid json") from None
    if isinstance(value, dict):
        return list(value.keys())
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        keys: dict[str, None] = {}
        for item in value:
            keys.update(dict.fromkeys(item))
        return list(keys)
    raise errors.invalid_body("Empty or invalid json")


def _resolve(
    req: ApiRequest, cache: SchemaCache, fns: tuple[Function, ...], keys: list[str], is_post: bool
) -> Function:
    found = _matching(fns, set(keys))
    if len(found) == 1:
        return found[0]
    if not found:
        raise _no_rpc(req, cache, keys, fns, is_post)
    # Several overloads accept these names: prefer the one that needs no defaults filled
    exact = [fn for fn in found if {p.name for p in fn.params} == set(keys)]
    if len(exact) == 1:
        return exact[0]
    raise errors.ambiguous_rpc([fn.signature() for fn in found])

# ruff: noqa: S608 - this module builds SQL from quoted catalog names; values are $n
"""Stage 4: ActionPlan → one parameterized SQL statement and its parameters.

Identifiers come from the plan (hence from the schema cache) and are always quoted;
every value from the request is a bind parameter ($n), cast from text to the type the
schema cache knows, so asyncpg's prepared statements work whatever the column type.
The statement returns one row: total (count or NULL), page_total, body (bytea built by
PostgreSQL), and the response.headers / response.status GUCs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gateway.plan import (
    ActionPlan,
    CField,
    CFilter,
    CLogic,
    COrder,
    CSelect,
    EmbedPlan,
    ReadPlan,
    grouped_columns,
)
from gateway.request import Range
from gateway.syntax import FTS_OPS, SIMPLE_OPS, JsonOp, OpExpr


def ident(name: str) -> str:
    """A quoted identifier; NUL ends it like PostgREST's trimNullChars."""
    return '"' + name.split("\x00", 1)[0].replace('"', '""') + '"'


def qualified(schema: str, name: str) -> str:
    return f"{ident(schema)}.{ident(name)}"


@dataclass(slots=True)
class Statement:
    sql: str
    params: list[Any]
    count_sql: str | None = None  # for Prefer: count=planned/estimated (EXPLAIN)
    count_params: list[Any] | None = None


class _Params:
    """The statement's parameters, and how to name the whole row of a relation alias
    where the alias alone is not of the table's type (a write's RETURNING rows)."""

    __slots__ = ("rows", "values")

    def __init__(self) -> None:
        self.values: list[Any] = []
        self.rows: dict[str, str] = {}

    def add(self, value: Any) -> str:
        self.values.append(value)
        return f"${len(self.values)}"


# --- fragments ----------------------------------------------------------------------------


def _json_path(path: tuple[JsonOp, ...], p: _Params) -> str:
    out = []
    for arrow, operand in path:
        if isinstance(operand, int):
            out.append(f"{arrow}{p.add(operand)}::int")
        else:
            out.append(f"{arrow}{p.add(operand)}::text")
    return "".join(out)


def _field(table: str, f: CField, p: _Params) -> str:
    col = f"{f.computed}({p.rows.get(table, table)})" if f.computed else f"{table}.{ident(f.name)}"
    if not f.json_path:
        return col
    if f.to_json:
        col = f"to_jsonb({col})"
    return col + _json_path(f.json_path, p)


def _typed(ref: str, typ: str | None) -> str:
    if typ is None or typ == "text":
        return f"{ref}::text"
    return f"{ref}::text::{typ}"


def _like(value: str) -> str:
    return value.replace("*", "%")


def _filter(table: str, flt: CFilter, p: _Params, markers: dict[str, str] | None = None) -> str:
    f, e = flt.field, flt.expr
    if f.embed_null:
        assert markers is not None
        return f"{markers[f.name]} IS {e.value}"
    lhs = _field(table, f, p)
    sql = _op(lhs, f, e, p)
    return f"NOT {sql}" if e.negated else sql


def _op(lhs: str, f: CField, e: OpExpr, p: _Params) -> str:
    op = e.op
    if op == "is":
        return f"{lhs} IS {e.value}"
    if op == "in":
        values = e.value if isinstance(e.value, tuple) else (e.value,)
        if values == ("",):
            return f"{lhs} = ANY('{{}}')"
        elem = f.type or "text"
        return f"{lhs} = ANY({p.add(list(values))}::text[]::{elem}[])"
    if op in FTS_OPS:
        assert isinstance(e.value, str)
        lang = f"{p.add(e.language)}::regconfig, " if e.language else ""
        target = lhs if f.tsvector else f"to_tsvector({lang}{lhs})"
        return f"{target} @@ {FTS_OPS[op]}({lang}{p.add(e.value)}::text)"
    assert isinstance(e.value, str)
    sql_op = SIMPLE_OPS[op]
    value = e.value
    text_op = op in ("like", "ilike", "match", "imatch")
    if op in ("like", "ilike"):
        value = _like(value)
    if e.quant is not None:
        elem = "text" if text_op else (f.type or "text")
        return f"{lhs} {sql_op} {e.quant.upper()}({p.add(value)}::text::{elem}[])"
    rhs = f"{p.add(value)}::text" if text_op else _typed(p.add(value), f.type)
    return f"{lhs} {sql_op} {rhs}"


def _logic(table: str, tree: CLogic, p: _Params, markers: dict[str, str] | None = None) -> str:
    parts = [
        _logic(table, c, p, markers) if isinstance(c, CLogic) else _filter(table, c, p, markers)
        for c in tree.children
    ]
    joined = "(" + (" AND " if tree.op == "and" else " OR ").join(parts) + ")"
    return f"NOT {joined}" if tree.negated else joined


def where_clause(
    table: str,
    where: tuple[CFilter | CLogic, ...],
    p: _Params,
    markers: dict[str, str] | None = None,
) -> str:
    """`markers`: for each embed of this level, the expression that is NULL without rows."""
    if not where:
        return ""
    parts = [
        _logic(table, w, p, markers) if isinstance(w, CLogic) else _filter(table, w, p, markers)
        for w in where
    ]
    return " WHERE " + " AND ".join(parts)


def _order(
    table: str, order: tuple[COrder, ...], p: _Params, related: dict[str, str] | None = None
) -> str:
    if not order:
        return ""
    terms = []
    for o in order:
        if o.relation is not None:
            assert related is not None
            term = _field(related[o.relation], o.field, p)
        else:
            term = _field(table, o.field, p)
        if o.direction:
            term += " " + o.direction.upper()
        if o.nulls:
            term += " NULLS " + o.nulls.upper()
        terms.append(term)
    return " ORDER BY " + ", ".join(terms)


def _limit(rng: Range, p: _Params) -> str:
    sql = ""
    if rng.limit is not None:
        sql += f" LIMIT {p.add(rng.limit)}::bigint"
    if rng.offset:
        sql += f" OFFSET {p.add(rng.offset)}::bigint"
    return sql


# An output column of an embed: (key parameter, expression, the select item whose
# aggregate is still to be applied around the expression, or None). Aggregates of a
# to-one spread are hoisted like PostgREST's hoistSpreadAggFunctions: the spread's
# lateral yields their argument and the first level above that is not a spread (the
# top or a JSON embed; to-many spreads refuse aggregates) aggregates it, grouped by
# the rest.
Pair = tuple[str, str, CSelect | None]


def _aggregate(expr: str, s: CSelect) -> str:
    assert s.aggregate is not None
    out = f"{s.aggregate.upper()}({expr})"
    if s.aggregate_cast is not None:
        out = f"CAST({out} AS {s.aggregate_cast})"
    return out


def _argument(table: str, s: CSelect, p: _Params, hoisted: bool = False) -> str:
    """What an aggregate takes: the (cast) field; for count() every row, which a
    hoisted count() counts through a marker that is NULL without a row."""
    if s.field is None:
        return "true" if hoisted else "*"
    expr = _field(table, s.field, p)
    return f"CAST({expr} AS {s.cast})" if s.cast is not None else expr


def _item_expr(table: str, s: CSelect, p: _Params) -> str:
    if s.aggregate is not None:
        return _aggregate(_argument(table, s, p), s)
    return _argument(table, s, p)


def _finish(pairs: list[Pair]) -> tuple[list[tuple[str, str]], list[str], bool]:
    """Pairs with every pending aggregate applied, the GROUP BY keys (the other pairs)
    and whether anything aggregates."""
    out: list[tuple[str, str]] = []
    group: list[str] = []
    for key, expr, agg in pairs:
        if agg is None:
            out.append((key, expr))
            group.append(expr)
        else:
            out.append((key, _aggregate(expr, agg)))
    return out, group, len(group) < len(pairs)


def _select_list(
    table: str,
    read: ReadPlan,
    p: _Params,
    explicit_star: bool = False,
    embedded: dict[int, list[Pair]] | None = None,
) -> tuple[str, str]:
    """The select list and its GROUP BY (when aggregates are used). With user-chosen
    output names (aliases, JSON keys, embeds) one JSON object per row whose keys are bind
    parameters, so no request text becomes SQL. `embedded`: the pairs each embed
    contributes, by position in the select."""
    select = read.select
    keyed = any(s.alias is not None for s in select)
    items: list[tuple[str | None, str]] = []  # (output name parameter or None, expression)
    group: list[str] = []
    aggregated = any(s.aggregate is not None for s in select)
    for index, s in enumerate(select):
        if s.embed is not None:
            assert embedded is not None
            pairs, keys, hoisted = _finish(embedded[index])
            items.extend(pairs)
            group.extend(keys)
            aggregated = aggregated or hoisted
            continue
        if s.field is None and s.aggregate is None:
            if keyed:
                items.extend((p.add(name), f"{table}.{ident(name)}") for name in read.star_columns)
            elif explicit_star:
                items.extend((None, f"{table}.{ident(name)}") for name in read.star_columns)
            else:
                items.append((None, f"{table}.*"))
            group.extend(f"{table}.{ident(name)}" for name in read.star_columns)
            continue
        expr = _item_expr(table, s, p)
        if s.aggregate is None:
            group.append(expr)
        elif not keyed:
            expr += f" AS {ident(s.aggregate)}"
        if keyed:
            assert s.field is not None or s.aggregate is not None
            name = s.alias or s.aggregate or (s.field.name if s.field else "")
            items.append((p.add(name), expr))
        else:
            items.append((None, expr))
    group_by = f" GROUP BY {', '.join(group)}" if aggregated and group else ""
    if not keyed:
        return ", ".join(expr for _, expr in items), group_by
    return _keyed_row([(str(k), v) for k, v in items]), group_by


class _Names:
    """Aliases for embedded relations: pgrst_1, pgrst_2, … (never request text)."""

    __slots__ = ("n",)

    def __init__(self) -> None:
        self.n = 0

    def next(self) -> int:
        self.n += 1
        return self.n


@dataclass(slots=True)
class _Embedded:
    """What a level's embeds add to it: output pairs by select position, lateral joins,
    WHERE conditions (!inner, IS NULL filters), and the lateral of each to-one embed
    (whose columns `order=embed(col)` sorts by)."""

    values: dict[int, list[Pair]]
    joins: str
    conditions: list[str]
    laterals: dict[str, str]
    markers: dict[str, str]


def _embeds(
    parent: str, read: ReadPlan, p: _Params, names: _Names, row: str | None = None
) -> _Embedded:
    """`row`: how to name the parent's whole row (computed relationships take it)."""
    out = _Embedded({}, "", [], {}, {})
    joins: list[str] = []
    for index, s in enumerate(read.select):
        e = s.embed
        if e is None:
            continue
        n = names.next()
        lateral = f'"pgrst_e{n}"'
        sub, spread_keys = _embed_subquery(parent, row or parent, e, p, names, n)
        joins.append(f" LEFT JOIN LATERAL ({sub}) AS {lateral} ON TRUE")
        assert s.alias is not None
        out.laterals[s.alias] = lateral
        if e.spread:
            out.values[index] = [
                (k, f"{lateral}.pgrst_s{i}", agg) for i, (k, agg) in enumerate(spread_keys)
            ]
            marker = f"{lateral}.pgrst_found"
        else:
            value = f"{lateral}.pgrst_e"
            if not e.rel.to_one:
                value = f"coalesce({value}, '[]'::jsonb)"
            # `embed()` with nothing selected filters without adding a key
            out.values[index] = [(p.add(s.alias), value, None)] if e.read.select else []
            marker = f"{lateral}.pgrst_e"
        out.markers[s.alias] = marker
        if e.inner:
            out.conditions.append(f"{marker} IS NOT NULL")
        if e.null_filter is not None:
            out.conditions.append(f"{marker} IS {e.null_filter}")
    out.joins = "".join(joins)
    return out


def _embed_subquery(  # noqa: PLR0917 - the parent, its row, the embed, and counters
    parent: str, row: str, e: EmbedPlan, p: _Params, names: _Names, n: int
) -> tuple[str, list[tuple[str, CSelect | None]]]:
    """The lateral subquery of one embed, and for a spread its output keys with the
    aggregate each still needs (hoisted to the level above)."""
    child = e.read
    # PostgREST's alias (`books_1`), so that PostgreSQL's errors name what it would;
    # never the parent's, which the join conditions inside must still reach
    alias = ident(child.sql_alias) if child.sql_alias else f'"pgrst_{n}"'
    if alias == parent:
        alias = f'"pgrst_{n}"'
    table = f"{qualified(child.schema, child.name)} AS {alias}"
    rel = e.rel
    conds: list[str]
    if rel.function is not None:
        fn = rel.function
        table = f"{qualified(fn.schema, fn.name)}({row}) AS {alias}"
        conds = []
    elif rel.junction is not None:
        junction = f'"pgrst_j{n}"'
        table += (
            f" JOIN {qualified(rel.junction.schema, rel.junction.name)} AS {junction} ON "
            + " AND ".join(f"{junction}.{ident(j)} = {alias}.{ident(t)}" for j, t in rel.through)
        )
        conds = [f"{junction}.{ident(j)} = {parent}.{ident(pc)}" for pc, j in rel.columns]
    else:
        conds = [f"{alias}.{ident(t)} = {parent}.{ident(pc)}" for pc, t in rel.columns]
    nested = _embeds(alias, child, p, names)
    joins = nested.joins
    where = where_clause(alias, child.where, p, nested.markers)
    conds += [where[len(" WHERE ") :]] if where else []
    conds += nested.conditions
    where_sql = " WHERE " + " AND ".join(conds) if conds else ""
    if e.spread and not rel.to_one:  # one array per column (PostgREST 13, aggregates on)
        pairs = _pairs(alias, child, p, nested.values)  # the plan refused aggregates here
        cols = ", ".join(f"{expr} AS pgrst_v{i}" for i, (_, expr, _) in enumerate(pairs)) or "1"
        order = _order(alias, child.order, p, nested.laterals)
        limit = _limit(child.range, p)
        inner = f"SELECT {cols} FROM {table}{joins}{where_sql}{order}{limit}"
        aggs = "".join(
            # jsonb, like the other embeds: a grouping parent compares them
            f"coalesce(json_agg(pgrst_sub.pgrst_v{i})::jsonb, '[]'::jsonb) AS pgrst_s{i}, "
            for i in range(len(pairs))
        )
        sql = (
            f"SELECT {aggs}CASE WHEN count(*) > 0 THEN true END AS pgrst_found "
            f"FROM ({inner}) AS pgrst_sub"
        )
        return sql, [(k, None) for k, _, _ in pairs]
    if e.spread:  # its aggregates are applied by the level above
        pairs = _pairs(alias, child, p, nested.values, hoist=True)
        cols = "".join(f"{expr} AS pgrst_s{i}, " for i, (_, expr, _) in enumerate(pairs))
        sql = f"SELECT {cols}true AS pgrst_found, {alias}.* FROM {table}{joins}{where_sql} LIMIT 1"
        return sql, [(k, agg) for k, _, agg in pairs]
    finished, keys, aggregated = _finish(_pairs(alias, child, p, nested.values))
    # jsonb, as PostgREST's embeds: comparable, so that aggregates can group by them
    row = _keyed_row(finished, as_name="pgrst_e", jsonb=True)
    group = f" GROUP BY {', '.join(keys)}" if aggregated and keys else ""
    if rel.to_one:  # the child's columns ride along for `order=embed(col)` on the parent
        grouped = grouped_columns(child)
        extra = "".join(f", {alias}.{ident(c)}" for c in grouped) if aggregated else f", {alias}.*"
        return f"SELECT {row}{extra} FROM {table}{joins}{where_sql}{group} LIMIT 1", []
    order = _order(alias, child.order, p, nested.laterals)
    limit = _limit(child.range, p)
    inner = f"SELECT {row} FROM {table}{joins}{where_sql}{group}{order}{limit}"
    return (
        f"SELECT json_agg(pgrst_sub.pgrst_e)::jsonb AS pgrst_e FROM ({inner}) AS pgrst_sub",
        [],
    )


def _pairs(
    table: str,
    read: ReadPlan,
    p: _Params,
    embedded: dict[int, list[Pair]],
    hoist: bool = False,
) -> list[Pair]:
    """Every output column of `read`; its aggregates are left pending (their argument
    as the expression), `hoist`: for a spread, whose row carries the arguments up."""
    pairs: list[Pair] = []
    for index, s in enumerate(read.select):
        if s.embed is not None:
            pairs.extend(embedded[index])
        elif s.field is None and s.aggregate is None:
            pairs.extend(
                (p.add(name), f"{table}.{ident(name)}", None) for name in read.star_columns
            )
        else:
            name = s.alias or s.aggregate or (s.field.name if s.field else "")
            agg = s if s.aggregate is not None else None
            pairs.append((p.add(name), _argument(table, s, p, hoist), agg))
    return pairs


_MAX_PAIRS = 50  # json_build_object takes at most 100 arguments


def _keyed_row(
    items: list[tuple[str, str]], as_name: str = "pgrst_row", jsonb: bool = False
) -> str:
    cast = "::jsonb" if jsonb else ""
    if len(items) <= _MAX_PAIRS:
        pairs = ", ".join(f"{k}::text, {v}" for k, v in items)
        return f"json_build_object({pairs}){cast} AS {as_name}"
    # more than 50 output columns: an ordered aggregate over the pairs
    values = ", ".join(f"({n}, {k}::text, to_json({v}))" for n, (k, v) in enumerate(items))
    return (
        "(SELECT json_object_agg(pgrst_kv.k, pgrst_kv.v ORDER BY pgrst_kv.n) FROM "
        f"(VALUES {values}) AS pgrst_kv(n, k, v)){cast} AS {as_name}"
    )


# --- bodies -------------------------------------------------------------------------------

_T = "_postgrest_t"


def _strip(sql: str, stripped: bool) -> str:
    return f"json_strip_nulls({sql})" if stripped else sql


def _keyed(plan: ActionPlan) -> bool:
    return plan.read is not None and any(s.alias is not None for s in plan.read.select)


_CSV_FIELD = (
    "CASE WHEN j.value IS NULL THEN '' WHEN j.value = '' OR j.value ~ '[\",\\\\()\\s]'"
    " THEN '\"' || replace(j.value, '\"', '\"\"') || '\"' ELSE j.value END"
)


def _custom_body(plan: ActionPlan, scalar: bool, keyed: bool) -> str:
    """A media-type handler from the database: its aggregate over the rows (cast to the
    relation's row type when the select is the default `*`, as PostgREST), or, for a
    function returning the media type's domain, the function's own value."""
    h = plan.handler
    assert h is not None
    if not h.aggregate:
        value = f"string_agg({_T}.pgrst_scalar::{'bytea' if h.binary else 'text'}, '')"
    else:
        row = f"{_T}.pgrst_row" if keyed else _T
        if plan.handler_row is not None:
            row = f"{_T}::{qualified(*plan.handler_row)}"
        value = f"{qualified(h.schema, h.name)}({row})"
    if h.binary:
        return f"coalesce(({value})::bytea, ''::bytea)"
    return f"convert_to(coalesce(({value})::text, ''), 'UTF8')"


def _body(plan: ActionPlan, scalar: bool, single: bool) -> str:
    if plan.headers_only:
        return "NULL::bytea"
    keyed = _keyed(plan)
    value = f"{_T}.pgrst_scalar" if scalar else f"{_T}.pgrst_row" if keyed else _T
    media = plan.media
    if media == "custom":
        return _custom_body(plan, scalar, keyed)
    if media == "geojson":  # PostgREST's asGeoJsonF: ST_AsGeoJSON finds the geometry column
        features = f"coalesce(json_agg(ST_AsGeoJSON({value})::json), '[]')"
        return (
            "convert_to(json_build_object('type', 'FeatureCollection', 'features', "
            f"{features})::text, 'UTF8')"
        )
    if media == "csv" and keyed:
        header = (
            "(SELECT coalesce(string_agg(k, ','), '') FROM (SELECT json_object_keys("
            "hh.pgrst_row) AS k FROM pgrst_source AS hh LIMIT 1) s)"
        )
        rows = (
            f"coalesce(string_agg((SELECT string_agg({_CSV_FIELD}, ',') FROM "
            f"json_each_text({_T}.pgrst_row) j), E'\\n'), '')"
        )
        return f"convert_to({header} || E'\\n' || {rows}, 'UTF8')"
    if media == "csv":
        header = (
            "(SELECT coalesce(string_agg(a.k, ','), '') FROM (SELECT json_object_keys(r)::text"
            " AS k FROM (SELECT row_to_json(hh) AS r FROM pgrst_source AS hh LIMIT 1) s) a)"
        )
        rows = f"coalesce(string_agg(substring({_T}::text, 2, length({_T}::text) - 2), E'\\n'), '')"
        return f"convert_to({header} || E'\\n' || {rows}, 'UTF8')"
    if media == "text":
        return f"convert_to(coalesce(string_agg({_T}.pgrst_scalar::text, ''), ''), 'UTF8')"
    if media == "octet":
        return f"coalesce(string_agg({_T}.pgrst_scalar, ''), '')"
    if media == "object" or single:
        agg = _strip(f"json_agg({value})->0", plan.nulls_stripped)
        return f"convert_to(coalesce(({agg})::text, 'null'), 'UTF8')"
    agg = _strip(f"json_agg({value})", plan.nulls_stripped)
    return f"convert_to(coalesce(({agg})::text, '[]'), 'UTF8')"


_TAIL = (
    ", nullif(current_setting('response.headers', true), '') AS response_headers"
    ", nullif(current_setting('response.status', true), '') AS response_status"
)


# --- statements ---------------------------------------------------------------------------


def build(plan: ActionPlan) -> Statement:
    if plan.kind == "read":
        assert plan.read is not None
        return _read(plan, plan.read)
    if plan.kind == "call":
        return _call(plan)
    if plan.kind == "mutate":
        return _mutate(plan)
    raise AssertionError(f"no statement for a {plan.kind} plan")


def _read(plan: ActionPlan, read: ReadPlan) -> Statement:
    p = _Params()
    # aliased by its own name: columns read "items"."id", and "items" is the whole row
    # that computed columns and relationships take
    table = ident(read.name)
    relation = f"{qualified(read.schema, read.name)} AS {table}"
    emb = _embeds(table, read, p, _Names())
    joins, conditions = emb.joins, emb.conditions
    select, group_by = _select_list(table, read, p, embedded=emb.values)
    where = where_clause(table, read.where, p, emb.markers)
    if conditions:  # !inner embeds and embed IS [NOT] NULL filters
        where = (where + " AND " if where else " WHERE ") + " AND ".join(conditions)
    order = _order(table, read.order, p, emb.laterals)
    group_by += _related_group(read, p, emb.laterals) if group_by else ""
    limit = _limit(read.range, p)
    count_sql = None
    total = "NULL::bigint"
    count_params = None
    embedded = bool(emb.markers)
    source = f"{relation}{joins}" if embedded else relation
    if plan.count is not None:
        if not embedded:
            cp = _Params()
            count_sql = f"SELECT 1 FROM {relation}{where_clause(table, read.where, cp)}"
            count_params = cp.values
        if plan.count in ("exact", "estimated") or embedded:  # embeds: counted exactly
            total = f"(SELECT pg_catalog.count(*) FROM {source}{where})"
    sql = (
        f"WITH pgrst_source AS (SELECT {select} FROM {relation}{joins}{where}{group_by}{order}"
        f"{limit}) "
        f"SELECT {total} AS total, pg_catalog.count({_T})::bigint AS page_total, "
        f"{_body(plan, False, False)} AS body{_TAIL} "
        f"FROM (SELECT * FROM pgrst_source) {_T}"
    )
    return Statement(sql, p.values, count_sql, count_params)


def _related_group(read: ReadPlan, p: _Params, laterals: dict[str, str]) -> str:
    """`order=embed(col)` on a grouped level: the column joins the GROUP BY (it is the
    spread's grouped value PostgREST orders by, read from its lateral row)."""
    terms = [_field(laterals[o.relation], o.field, p) for o in read.order if o.relation]
    return "".join(f", {t}" for t in terms)


def _call(plan: ActionPlan) -> Statement:  # noqa: PLR0912, PLR0915 - one case per argument style
    assert plan.call is not None and plan.read is not None
    call, read = plan.call, plan.read
    fn = call.function
    p = _Params()
    ctes: list[str] = []
    from_args = ""
    if call.args_from == "single":
        param = fn.params[0]
        if param.base_type == "bytea":
            args = f"{p.add(call.body)}::bytea"
        else:
            args = f"{p.add(call.body.decode('utf-8', 'replace'))}::text::{param.type}"
    elif call.args_from == "json":
        by_name = {prm.name: prm for prm in fn.params}
        used = [by_name[name] for name in call.arg_names]
        cols = ", ".join(f"{ident(prm.name)} {prm.type}" for prm in used)
        body = p.add(call.body.decode("utf-8", "replace"))
        # an array payload calls with its first object, as PostgREST does
        ctes.append(
            f"pgrst_args AS (SELECT * FROM json_to_recordset(CASE WHEN json_typeof({body}::json)"
            f" = 'array' THEN {body}::json ELSE json_build_array({body}::json) END)"
            f" AS _({cols}) LIMIT 1)"
        )
        from_args = "pgrst_args, LATERAL "
        args = ", ".join(
            ("VARIADIC " if prm.variadic else "")
            + f"{ident(prm.name)} := pgrst_args.{ident(prm.name)}"
            for prm in used
        )
    elif call.args_from == "query":
        by_name = {prm.name: prm for prm in fn.params}
        parts = []
        for name, value in call.args:
            prm = by_name[name]
            if prm.variadic:
                values = value if isinstance(value, list) else [value]
                parts.append(f"VARIADIC {ident(name)} := {p.add(values)}::text[]::{prm.type}")
            else:
                parts.append(f"{ident(name)} := {_typed(p.add(value), prm.type)}")
        args = ", ".join(parts)
    else:
        args = ""
    func = f"{qualified(fn.schema, fn.name)}({args})"
    alias = ident(fn.name)
    scalar = not fn.returns_composite
    if fn.returns_composite:
        emb = _embeds(alias, read, p, _Names())
        select, group_by = _select_list(alias, read, p, embedded=emb.values)
        where = where_clause(alias, read.where, p, emb.markers)
        if emb.conditions:
            where = (where + " AND " if where else " WHERE ") + " AND ".join(emb.conditions)
        order = _order(alias, read.order, p, emb.laterals)
        source = (
            f"SELECT {select} FROM {from_args}{func} {alias}{emb.joins}{where}{group_by}{order}"
        )
    elif fn.returns_set:
        source = f"SELECT pgrst_scalar FROM {from_args}{func} pgrst_scalar"
    else:
        source = f"SELECT {func} AS pgrst_scalar" + (" FROM pgrst_args" if from_args else "")
    limit = _limit(read.range, p)
    ctes.append(f"pgrst_source AS ({source})")
    total = "NULL::bigint"
    count_sql = None
    if plan.count is not None:
        total = "(SELECT pg_catalog.count(*) FROM pgrst_source)"
    body = "NULL::bytea" if fn.returns_void else _body(plan, scalar, not fn.returns_set)
    sql = (
        f"WITH {', '.join(ctes)} "
        f"SELECT {total} AS total, pg_catalog.count({_T})::bigint AS page_total, "
        f"{body} AS body{_TAIL} FROM (SELECT * FROM pgrst_source{limit}) {_T}"
    )
    return Statement(sql, p.values, count_sql)


def _mutate(plan: ActionPlan) -> Statement:  # noqa: PLR0912, PLR0915 - one case per write
    assert plan.mutate is not None and plan.read is not None
    m, read = plan.mutate, plan.read
    p = _Params()
    alias = ident(read.name)
    table = alias  # the target is aliased by its name, as for reads
    into = f"{qualified(read.schema, read.name)} AS {alias}"
    ctes: list[str] = []
    if m.kind != "delete":
        body = p.add(m.body.decode("utf-8", "replace"))
        ctes.append(f"pgrst_payload AS (SELECT {body}::json AS json_data)")
        uniform = (
            "(SELECT CASE WHEN json_typeof(json_data) = 'array' THEN json_data"
            " ELSE json_build_array(json_data) END FROM pgrst_payload)"
        )
        defaults = [c for c in m.columns if c.insert_default is not None]
        if m.columns and m.missing_default and defaults:
            # keys an object leaves out take the column's default (PostgREST's
            # pgrst_json_defs); the default expressions come from the catalog
            pairs = ", ".join(f"{p.add(c.name)}::text, {c.insert_default}" for c in defaults)
            defs = ", ".join(f"{ident(c.name)} {c.type}" for c in m.columns)
            rows = (
                f"SELECT * FROM jsonb_to_recordset((SELECT jsonb_agg(jsonb_build_object({pairs})"
                f" || pgrst_elem) FROM jsonb_array_elements({uniform}::jsonb) AS pgrst_elem))"
                f" AS _({defs})"
            )
        elif m.columns:
            defs = ", ".join(f"{ident(c.name)} {c.type}" for c in m.columns)
            rows = f"SELECT * FROM json_to_recordset({uniform}) AS _({defs})"
        else:
            rows = f"SELECT FROM json_array_elements({uniform})"
        if m.kind == "update":
            rows += " LIMIT 1"
        ctes.append(f"pgrst_body AS ({rows})")
    upsert = m.on_conflict is not None and m.resolution is not None
    returning = f" RETURNING {table}.*"
    if upsert:
        returning += ", (xmax = 0) AS pgrst_inserted"
    where = where_clause(table, read.where, p)
    if m.limited:  # PostgREST's limited update/delete: the rows are picked by ctid
        picked = f"SELECT {table}.ctid FROM {into}{where}{_order(table, read.order, p)}"
        where = f" WHERE {table}.ctid = ANY(ARRAY({picked}{_limit(read.range, p)}))"
    if m.kind in ("insert", "upsert"):
        names = ", ".join(ident(c.name) for c in m.columns)
        values = ", ".join(f"pgrst_body.{ident(c.name)}" for c in m.columns)
        conflict = ""
        if upsert and m.on_conflict:
            target = ", ".join(ident(c) for c in m.on_conflict)
            sets = ", ".join(f"{ident(c.name)} = EXCLUDED.{ident(c.name)}" for c in m.columns)
            action = (
                f"DO UPDATE SET {sets}"
                if m.resolution == "merge-duplicates" and sets
                else "DO NOTHING"
            )
            conflict = f" ON CONFLICT ({target}) {action}"
        cols = f" ({names})" if m.columns else ""
        stmt = f"INSERT INTO {into}{cols} SELECT {values} FROM pgrst_body{conflict}{returning}"
    elif m.kind == "update":
        if m.columns:
            sets = ", ".join(f"{ident(c.name)} = pgrst_body.{ident(c.name)}" for c in m.columns)
            stmt = f"UPDATE {into} SET {sets} FROM pgrst_body{where}{returning}"
        else:  # PATCH {} changes nothing
            stmt = f"SELECT {table}.* FROM {into} WHERE false"
    else:
        stmt = f"DELETE FROM {into}{where}{returning}"
    ctes.append(f"pgrst_write AS ({stmt})")
    joins = order = ""
    if m.representation == "full":
        # the RETURNING rows are not of the table's type: computed columns and
        # relationships (functions of that type) take them rebuilt as one
        columns = ", ".join(f"{alias}.{ident(c)}" for c in read.star_columns)
        p.rows[alias] = f"ROW({columns})::{qualified(read.schema, read.name)}"
        emb = _embeds(alias, read, p, _Names(), row=p.rows[alias])
        joins = emb.joins
        order = _order(alias, read.order, p, emb.laterals)
        select, _ = _select_list(alias, read, p, explicit_star=True, embedded=emb.values)
        body_sql = _body(plan, False, False)
    else:
        select = "1"
        body_sql = "NULL::bytea"
        if m.representation == "headers-only" and m.pk:
            pairs = ", ".join(f"{p.add(k)}::text, pgrst_write.{ident(k)}" for k in m.pk)
            body_sql = (
                f"convert_to(coalesce((SELECT json_build_object({pairs}) FROM pgrst_write"
                " LIMIT 1)::text, 'null'), 'UTF8')"
            )
    inserted = (
        "(SELECT pg_catalog.count(*) FROM pgrst_write WHERE pgrst_inserted)"
        if upsert
        else "NULL::bigint"
    )
    # the shaped rows are pgrst_source, as for reads (the CSV header reads its first row)
    ctes.append(f"pgrst_source AS (SELECT {select} FROM pgrst_write AS {alias}{joins}{order})")
    sql = (
        f"WITH {', '.join(ctes)} "
        f"SELECT NULL::bigint AS total, pg_catalog.count({_T})::bigint AS page_total, "
        f"{body_sql} AS body{_TAIL}, {inserted} AS inserted "
        f"FROM (SELECT * FROM pgrst_source) {_T}"
    )
    return Statement(sql, p.values)


def explain(count_sql: str) -> str:
    return f"EXPLAIN (FORMAT JSON) {count_sql}"

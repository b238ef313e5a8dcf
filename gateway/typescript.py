"""TypeScript types for frontend developers: the `Database` type postgrest-js/supabase-js take.

`python -m gateway.typescript --db-uri URL --schemas api[,other] [--out FILE]` prints (or
writes) what `supabase gen types typescript` prints for the same schemas, byte for byte
where the inputs allow: the same `Json`, `Database` (Tables/Views/Functions/Enums/
CompositeTypes), helper types (`Tables<>`, `TablesInsert<>`, …) and `Constants`, laid
out as prettier (semi: false) lays out postgres-meta's template. Use it as
`new PostgrestClient<Database>(url)`; docs/typescript-types.md explains the mapping.

Everything comes from the gateway's SchemaCache (loaded with schema_cache.load) plus a
few catalog facts the cache does not keep (Extras, gateway/sql/typescript.sql). The
generator itself, `generate(cache, extras)`, is pure.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import asyncpg

from gateway._sql import query
from gateway._tsprint import (
    HARDLINE,
    Doc,
    TsType,
    array,
    array_literal,
    join,
    locale_key,
    locale_sorted,
    member,
    never_object,
    nullable,
    obj,
    object_literal,
    property_key,
    raw,
    render,
    string_literal,
    tuple_type,
    union,
)
from gateway.schema_cache import Column, Function, SchemaCache, Table
from gateway.schema_cache import load as load_cache

POSTGREST_VERSION = "12"  # the dialect the gateway speaks (v12, with some v13 behaviours)

# --- catalog facts the schema cache does not keep ---------------------------------------


@dataclass(frozen=True)
class Extras:
    """Identity columns, view updatability, enums, composite types and argument modes."""

    identity: dict[tuple[str, str, str], str] = field(default_factory=dict)  # → "a" | "d"
    updatable_views: dict[tuple[str, str], frozenset[str]] = field(default_factory=dict)
    enums: dict[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)
    composites: dict[tuple[str, str], tuple[tuple[str, str], ...]] = field(default_factory=dict)
    arg_modes: dict[int, tuple[str, ...]] = field(default_factory=dict)


async def load_extras(conn: asyncpg.Connection, schemas: Sequence[str]) -> Extras:
    wanted = list(schemas)
    async with conn.transaction(readonly=True):
        ident = await conn.fetch(query("typescript", "identity_columns"), wanted)
        views = await conn.fetch(query("typescript", "view_updatability"), wanted)
        enums = await conn.fetch(query("typescript", "enums"))
        comps = await conn.fetch(query("typescript", "composite_types"), wanted)
        modes = await conn.fetch(query("typescript", "argument_modes"), wanted)
    return Extras(
        identity={(r["schema"], r["table"], r["column"]): r["identity"] for r in ident},
        updatable_views={
            (r["schema"], r["view"]): frozenset(r["updatable_columns"])
            for r in views
            if r["updatable"]
        },
        enums={(r["schema"], r["name"]): tuple(r["labels"]) for r in enums},
        composites={
            (r["schema"], r["name"]): tuple(zip(r["attributes"], r["attribute_types"], strict=True))
            for r in comps
        },
        arg_modes={r["oid"]: tuple(r["modes"]) for r in modes},
    )


async def load(db_uri: str, schemas: Sequence[str]) -> tuple[SchemaCache, Extras]:
    conn = await asyncpg.connect(db_uri)
    try:
        return await load_cache(conn, tuple(schemas)), await load_extras(conn, schemas)
    finally:
        await conn.close()


def types_for_database(
    db_uri: str,
    schemas: Sequence[str],
    *,
    default_schema: str | None = None,
    postgrest_version: str | None = POSTGREST_VERSION,
) -> str:
    """The TypeScript source for `schemas` of the database at `db_uri` (what the CLI prints)."""
    cache, extras = asyncio.run(load(db_uri, schemas))
    return generate(
        cache, extras, default_schema=default_schema, postgrest_version=postgrest_version
    )


# --- the Database type --------------------------------------------------------------------


_T = TypeVar("_T")


@dataclass
class _Context:
    cache: SchemaCache
    extras: Extras
    schemas: tuple[str, ...]

    def relations(self, schema: str, *, views: bool) -> list[Table]:
        """Tables (r, p, f) or views (v, m) of `schema`, in localeCompare order."""
        found = {
            t.name: t
            for (s, _), t in self.cache.tables.items()
            if s == schema and t.is_view == views
        }
        return [found[n] for n in locale_sorted(found)]

    def ts_type(self, pg_type: str, formatted: str = "") -> TsType:
        """postgres-meta's pgTypeToTsType, from a pg_type name (`int4`, `_text`, `mood`).

        `formatted` is format_type()'s text (`jsclient.mood[]`): its schema, when it names
        one, picks between same-named types (postgres-meta takes the first by name).
        """
        if pg_type == "bool":
            return raw("boolean")
        if pg_type in _NUMBER:
            return raw("number")
        if pg_type in _STRING:
            return raw("string")
        if pg_type in ("json", "jsonb"):
            return raw("Json")
        if pg_type == "void":
            return raw("undefined")
        if pg_type == "record":
            return raw("Record<string, unknown>")
        if pg_type.startswith("_"):
            return array(self.ts_type(pg_type[1:], formatted))
        return self._named_type(pg_type, _schema_of(formatted))

    def _named_type(self, name: str, schema_hint: str | None) -> TsType:
        enum = self._find(self.extras.enums, name, schema_hint)
        if enum is not None:
            schema, labels = enum
            if schema in self.schemas:
                return raw(_path(schema, "Enums", name))
            return union([raw(string_literal(label)) for label in labels])
        composite = self._find(self.extras.composites, name, schema_hint)
        if composite is not None:
            schema = composite[0]
            if schema in self.schemas:
                return raw(_path(schema, "CompositeTypes", name))
            return raw("unknown")
        table = self._find(self.cache.tables, name, schema_hint)
        if table is not None:
            section = "Views" if table[1].is_view else "Tables"
            return raw(_path(table[0], section, name) + '["Row"]')
        return raw("unknown")

    def _find(
        self, found: dict[tuple[str, str], _T], name: str, schema_hint: str | None
    ) -> tuple[str, _T] | None:
        """The type `name`: in the hinted schema, else an exposed one, else any."""
        matches = [(s, v) for (s, n), v in found.items() if n == name]
        matches.sort(key=lambda m: (m[0] != schema_hint, m[0] not in self.schemas, m[0]))
        return matches[0] if matches else None

    def column_type(self, column: Column) -> TsType:
        return self.ts_type(column.base_type, column.type)


_QUALIFIED = re.compile(r'^(?:"((?:[^"]|"")+)"|([^".]+))\.')


def _schema_of(formatted: str) -> str | None:
    """The schema format_type() printed before the name (`api.mood`, `"My S"."t"[]`)."""
    found = _QUALIFIED.match(formatted)
    if found is None:
        return None
    quoted, plain = found.groups()
    return quoted.replace('""', '"') if quoted is not None else plain


_NUMBER = frozenset({"int2", "int4", "int8", "float4", "float8", "numeric"})
_STRING = frozenset(
    {
        "bytea",
        "bpchar",
        "varchar",
        "date",
        "text",
        "citext",
        "time",
        "timetz",
        "timestamp",
        "timestamptz",
        "uuid",
        "vector",
    }
)


def _path(schema: str, section: str, name: str) -> str:
    return f"Database[{string_literal(schema)}][{string_literal(section)}][{string_literal(name)}]"


def _columns(table: Table) -> list[Column]:
    return [table.columns[n] for n in locale_sorted(table.columns)]


def _row(ctx: _Context, table: Table, functions: Sequence[Function]) -> TsType:
    members = [member(c.name, nullable(ctx.column_type(c), c.nullable)) for c in _columns(table)]
    for fn in functions:  # computed fields: f(<table row>) is selectable like a column
        if len(fn.params) == 1 and fn.params[0].type in (
            f"{table.schema}.{table.name}",
            table.name,
        ):
            returns = ctx.ts_type(fn.return_base, fn.return_type)
            members.append(member(fn.name, union([returns, raw("null")])))
    return obj(members, hard=True)


def _insert(ctx: _Context, table: Table, *, update: bool) -> TsType:
    members: list[Doc] = []
    for c in _columns(table):
        identity = ctx.extras.identity.get((table.schema, table.name, c.name))
        if identity == "a":  # GENERATED ALWAYS AS IDENTITY: cannot be written
            members.append(member(c.name, raw("never"), optional=True))
            continue
        optional = update or c.nullable or identity is not None or c.default is not None
        members.append(member(c.name, nullable(ctx.column_type(c), c.nullable), optional=optional))
    return obj(members, hard=True)


def _view_write(ctx: _Context, view: Table, columns: frozenset[str]) -> TsType:
    members = [
        member(c.name, raw("never"), optional=True)
        if c.name not in columns
        else member(c.name, union([ctx.column_type(c), raw("null")]), optional=True)
        for c in _columns(view)
    ]
    return obj(members, hard=True)


def _relationships(ctx: _Context, table: Table) -> TsType:
    unique = {frozenset(k) for k in ctx.cache.unique_keys.get((table.schema, table.name), ())}
    if table.pk:  # a view's primary key is the one it shows of its table
        unique.add(frozenset(table.pk))
    fks = [
        fk
        for fk in ctx.cache.foreign_keys
        if fk.table == (table.schema, table.name) and fk.ref_table[0] == table.schema
    ]
    fks.sort(
        key=lambda fk: (
            locale_key(fk.name),
            locale_key(fk.ref_table[1]),
            locale_key(json.dumps(list(fk.ref_columns))),
        )
    )
    items = [
        obj(
            [
                ["foreignKeyName: ", string_literal(fk.name)],
                ["columns: ", tuple_type([string_literal(c) for c in fk.columns]).doc],
                ["isOneToOne: ", "true" if frozenset(fk.columns) in unique else "false"],
                ["referencedRelation: ", string_literal(fk.ref_table[1])],
                [
                    "referencedColumns: ",
                    tuple_type([string_literal(c) for c in fk.ref_columns]).doc,
                ],
            ],
            hard=True,
        ).doc
        for fk in fks
    ]
    return tuple_type(items)


def _tables(ctx: _Context, schema: str, functions: Sequence[Function]) -> TsType:
    members = [
        member(
            t.name,
            obj(
                [
                    member("Row", _row(ctx, t, functions)),
                    member("Insert", _insert(ctx, t, update=False)),
                    member("Update", _insert(ctx, t, update=True)),
                    member("Relationships", _relationships(ctx, t)),
                ],
                hard=True,
            ),
        )
        for t in ctx.relations(schema, views=False)
    ]
    return obj(members, hard=True) if members else never_object()


def _views(ctx: _Context, schema: str, functions: Sequence[Function]) -> TsType:
    members: list[Doc] = []
    for v in ctx.relations(schema, views=True):
        parts = [member("Row", _row(ctx, v, functions))]
        columns = ctx.extras.updatable_views.get((v.schema, v.name))
        if columns is not None and v.kind == "v":
            parts.append(member("Insert", _view_write(ctx, v, columns)))
            parts.append(member("Update", _view_write(ctx, v, columns)))
        parts.append(member("Relationships", _relationships(ctx, v)))
        members.append(member(v.name, obj(parts, hard=True)))
    return obj(members, hard=True) if members else never_object()


def _modes(ctx: _Context, fn: Function) -> tuple[str, ...]:
    """Argument modes of every argument (in and out), 'i' for all when none are recorded."""
    modes = ctx.extras.arg_modes.get(fn.oid)
    if modes:
        return modes
    return tuple("v" if p.variadic else "i" for p in fn.params)


def _exposed_functions(ctx: _Context, schema: str) -> list[Function]:
    """Functions postgres-meta types: named input arguments, or a single unnamed one."""
    out: list[Function] = []
    for (s, _), overloads in ctx.cache.functions.items():
        if s != schema:
            continue
        for fn in overloads:
            if fn.return_type in ("trigger", "event_trigger"):
                continue
            if any(p.name == "" for p in fn.params) and len(fn.params) != 1:
                continue
            out.append(fn)
    return out


def _args(ctx: _Context, fn: Function) -> TsType:
    modes = [m for m in _modes(ctx, fn) if m in ("i", "b", "v")]
    members = [
        member(p.name, ctx.ts_type(p.base_type, p.type), optional=p.has_default)
        for p, mode in zip(fn.params, modes, strict=False)
        if mode == "i"
    ]
    return obj(members, hard=False) if members else raw("Record<PropertyKey, never>")


def _returns(ctx: _Context, fn: Function) -> TsType:
    modes = _modes(ctx, fn)
    result: TsType
    if "t" in modes and fn.ret_columns is not None:
        result = obj(
            [member(c.name, ctx.ts_type(c.base_type, c.type)) for c in fn.ret_columns.values()],
            hard=True,
        )
    elif fn.ret_relation is not None and fn.ret_relation in ctx.cache.tables:
        relation = ctx.cache.tables[fn.ret_relation]
        result = obj(
            [member(c.name, nullable(ctx.column_type(c), c.nullable)) for c in _columns(relation)],
            hard=True,
        )
    else:
        result = ctx.ts_type(fn.return_base, fn.return_type)
    return array(result) if fn.returns_set else result


def _functions(ctx: _Context, functions: Sequence[Function]) -> TsType:
    by_name: dict[str, list[Function]] = {}
    for fn in sorted(functions, key=lambda f: locale_key(f.name)):
        by_name.setdefault(fn.name, []).append(fn)
    members = [
        member(
            name,
            obj(
                [
                    member("Args", union([_args(ctx, fn) for fn in fns])),
                    member("Returns", _returns(ctx, fns[0])),
                ],
                hard=False,
            ),
        )
        for name, fns in by_name.items()
    ]
    return obj(members, hard=True) if members else never_object()


def _enums(ctx: _Context, schema: str) -> TsType:
    names = locale_sorted(n for (s, n) in ctx.extras.enums if s == schema)
    members = [
        member(n, union([raw(string_literal(v)) for v in ctx.extras.enums[(schema, n)]]))
        for n in names
    ]
    return obj(members, hard=True) if members else never_object()


def _composites(ctx: _Context, schema: str) -> TsType:
    names = locale_sorted(n for (s, n) in ctx.extras.composites if s == schema)
    members = [
        member(
            n,
            obj(
                [
                    member(a, union([ctx.ts_type(t), raw("null")]))
                    for a, t in ctx.extras.composites[(schema, n)]
                ],
                hard=True,
            ),
        )
        for n in names
    ]
    return obj(members, hard=True) if members else never_object()


def _schema(ctx: _Context, schema: str) -> TsType:
    functions = _exposed_functions(ctx, schema)
    return obj(
        [
            member("Tables", _tables(ctx, schema, functions)),
            member("Views", _views(ctx, schema, functions)),
            member("Functions", _functions(ctx, functions)),
            member("Enums", _enums(ctx, schema)),
            member("CompositeTypes", _composites(ctx, schema)),
        ],
        hard=True,
    )


def _constants(ctx: _Context, schemas: Sequence[str]) -> Doc:
    entries: list[Doc] = []
    for schema in schemas:
        enums = [
            [property_key(n), ": ", array_literal([string_literal(v) for v in labels])]
            for n in locale_sorted(n for (s, n) in ctx.extras.enums if s == schema)
            for labels in [ctx.extras.enums[(schema, n)]]
        ]
        enums_doc: Doc = ["Enums: ", object_literal(enums, hard=True)]
        entries.append([property_key(schema), ": ", object_literal([enums_doc], hard=True)])
    return ["export const Constants = ", object_literal(entries, hard=True), " as const"]


JSON_TYPE = """export type Json =
  | string
  | number
  | boolean
  | null
  | { [key: string]: Json | undefined }
  | Json[]
"""

INTERNALS_COMMENT = (
    "// Allows to automatically instantiate createClient with right options",
    "// instead of createClient<Database, { PostgrestVersion: 'XX' }>(URL, KEY)",
)


def generate(
    cache: SchemaCache,
    extras: Extras | None = None,
    *,
    schemas: Sequence[str] | None = None,
    default_schema: str | None = None,
    postgrest_version: str | None = POSTGREST_VERSION,
) -> str:
    """The TypeScript source: Json, Database, the helper types and Constants.

    `schemas` defaults to the cache's; `default_schema` (what `Tables<"name">` refers to
    without a schema) to the first of them, like PostgREST's default profile.
    """
    exposed = tuple(schemas if schemas is not None else cache.schemas)
    ctx = _Context(cache, extras or Extras(), exposed)
    ordered = locale_sorted(exposed)
    members: list[Doc] = []
    if postgrest_version is not None:
        version = obj([["PostgrestVersion: ", string_literal(postgrest_version)]], hard=True)
        members.append(
            [*join(HARDLINE, INTERNALS_COMMENT), HARDLINE, "__InternalSupabase: ", version.doc]
        )
    members.extend(member(s, _schema(ctx, s)) for s in ordered)
    database = ["export type Database = ", obj(members, hard=True).doc]
    default = (
        default_schema if default_schema is not None else (exposed[0] if exposed else "public")
    )
    return "\n".join(
        [
            JSON_TYPE,
            render(database),
            "",
            _HELPERS.replace("{W}", "DatabaseWithoutInternals").replace(
                "{default}", string_literal(default)
            ),
            render(_constants(ctx, ordered)),
            "",
        ]
    )


# As supabase emits them (prettier-formatted); {W} is DatabaseWithoutInternals, shortened
# here to keep the lines of this file short.
_HELPERS = """type {W} = Omit<Database, "__InternalSupabase">

type DefaultSchema = {W}[Extract<keyof Database, {default}>]

export type Tables<
  DefaultSchemaTableNameOrOptions extends
    | keyof (DefaultSchema["Tables"] & DefaultSchema["Views"])
    | { schema: keyof {W} },
  TableName extends (DefaultSchemaTableNameOrOptions extends {
    schema: keyof {W}
  }
    ? keyof ({W}[DefaultSchemaTableNameOrOptions["schema"]]["Tables"] &
        {W}[DefaultSchemaTableNameOrOptions["schema"]]["Views"])
    : never) = never,
> = DefaultSchemaTableNameOrOptions extends {
  schema: keyof {W}
}
  ? ({W}[DefaultSchemaTableNameOrOptions["schema"]]["Tables"] &
      {W}[DefaultSchemaTableNameOrOptions["schema"]]["Views"])[TableName] extends {
      Row: infer R
    }
    ? R
    : never
  : DefaultSchemaTableNameOrOptions extends keyof (DefaultSchema["Tables"] &
        DefaultSchema["Views"])
    ? (DefaultSchema["Tables"] &
        DefaultSchema["Views"])[DefaultSchemaTableNameOrOptions] extends {
        Row: infer R
      }
      ? R
      : never
    : never

export type TablesInsert<
  DefaultSchemaTableNameOrOptions extends
    | keyof DefaultSchema["Tables"]
    | { schema: keyof {W} },
  TableName extends (DefaultSchemaTableNameOrOptions extends {
    schema: keyof {W}
  }
    ? keyof {W}[DefaultSchemaTableNameOrOptions["schema"]]["Tables"]
    : never) = never,
> = DefaultSchemaTableNameOrOptions extends {
  schema: keyof {W}
}
  ? {W}[DefaultSchemaTableNameOrOptions["schema"]]["Tables"][TableName] extends {
      Insert: infer I
    }
    ? I
    : never
  : DefaultSchemaTableNameOrOptions extends keyof DefaultSchema["Tables"]
    ? DefaultSchema["Tables"][DefaultSchemaTableNameOrOptions] extends {
        Insert: infer I
      }
      ? I
      : never
    : never

export type TablesUpdate<
  DefaultSchemaTableNameOrOptions extends
    | keyof DefaultSchema["Tables"]
    | { schema: keyof {W} },
  TableName extends (DefaultSchemaTableNameOrOptions extends {
    schema: keyof {W}
  }
    ? keyof {W}[DefaultSchemaTableNameOrOptions["schema"]]["Tables"]
    : never) = never,
> = DefaultSchemaTableNameOrOptions extends {
  schema: keyof {W}
}
  ? {W}[DefaultSchemaTableNameOrOptions["schema"]]["Tables"][TableName] extends {
      Update: infer U
    }
    ? U
    : never
  : DefaultSchemaTableNameOrOptions extends keyof DefaultSchema["Tables"]
    ? DefaultSchema["Tables"][DefaultSchemaTableNameOrOptions] extends {
        Update: infer U
      }
      ? U
      : never
    : never

export type Enums<
  DefaultSchemaEnumNameOrOptions extends
    | keyof DefaultSchema["Enums"]
    | { schema: keyof {W} },
  EnumName extends (DefaultSchemaEnumNameOrOptions extends {
    schema: keyof {W}
  }
    ? keyof {W}[DefaultSchemaEnumNameOrOptions["schema"]]["Enums"]
    : never) = never,
> = DefaultSchemaEnumNameOrOptions extends {
  schema: keyof {W}
}
  ? {W}[DefaultSchemaEnumNameOrOptions["schema"]]["Enums"][EnumName]
  : DefaultSchemaEnumNameOrOptions extends keyof DefaultSchema["Enums"]
    ? DefaultSchema["Enums"][DefaultSchemaEnumNameOrOptions]
    : never

export type CompositeTypes<
  PublicCompositeTypeNameOrOptions extends
    | keyof DefaultSchema["CompositeTypes"]
    | { schema: keyof {W} },
  CompositeTypeName extends (PublicCompositeTypeNameOrOptions extends {
    schema: keyof {W}
  }
    ? keyof {W}[PublicCompositeTypeNameOrOptions["schema"]]["CompositeTypes"]
    : never) = never,
> = PublicCompositeTypeNameOrOptions extends {
  schema: keyof {W}
}
  ? {W}[PublicCompositeTypeNameOrOptions["schema"]]["CompositeTypes"][CompositeTypeName]
  : PublicCompositeTypeNameOrOptions extends keyof DefaultSchema["CompositeTypes"]
    ? DefaultSchema["CompositeTypes"][PublicCompositeTypeNameOrOptions]
    : never
"""


# --- command line -------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """The command line: 0 when written, 1 when the database or the file fails, 2 on usage."""
    parser = argparse.ArgumentParser(
        prog="python -m gateway.typescript",
        description="Print the TypeScript Database type of the exposed schemas "
        "(as `supabase gen types typescript` does) for postgrest-js/supabase-js.",
    )
    parser.add_argument("--db-uri", required=True, help="postgresql:// URI to introspect")
    parser.add_argument(
        "--schemas", required=True, help="comma-separated exposed schemas, e.g. api or api,v2"
    )
    parser.add_argument("--out", type=Path, help="write to this file instead of stdout")
    parser.add_argument(
        "--default-schema", help="schema Tables<'name'> refers to (default: the first)"
    )
    parser.add_argument(
        "--postgrest-version",
        default=POSTGREST_VERSION,
        help="Database.__InternalSupabase.PostgrestVersion (default: %(default)s); "
        "'' leaves the block out",
    )
    args = parser.parse_args(argv)
    schemas = [s.strip() for s in args.schemas.split(",") if s.strip()]
    if not schemas:
        parser.error("--schemas: at least one schema is needed")
    try:
        source = types_for_database(
            args.db_uri,
            schemas,
            default_schema=args.default_schema,
            postgrest_version=args.postgrest_version or None,
        )
    except (OSError, ValueError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        print(f"gateway.typescript: cannot introspect the database: {exc}", file=sys.stderr)
        return 1
    if args.out is None:
        sys.stdout.write(source)
        return 0
    try:
        args.out.write_text(source)
    except OSError as exc:
        print(f"gateway.typescript: cannot write {args.out}: {exc.strerror}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

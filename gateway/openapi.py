"""The OpenAPI (Swagger 2.0) description served at the root, as PostgREST builds it.

Tables, views and functions of one exposed schema; in follow-privileges mode only what
the request's role may use. SQL comments become summaries and descriptions (the first
line of a comment is the summary, the rest the description).
"""

from __future__ import annotations

import json
from typing import Any

from gateway.config import Config
from gateway.schema_cache import Column, Function, SchemaCache, Table

_MEDIA = [
    "application/json",
    "application/vnd.pgrst.object+json;nulls=stripped",
    "application/vnd.pgrst.object+json",
    "text/csv",
]

_INTEGER = {"smallint", "integer", "bigint", "int2", "int4", "int8"}
_NUMBER = {"numeric", "real", "double precision", "float4", "float8"}
_STRING = {"text", "character varying", "character", "varchar", "bpchar", "name", "citext"}


def _split_comment(comment: str | None) -> tuple[str | None, str | None]:
    if not comment:
        return None, None
    first, _, rest = comment.partition("\n")
    return first.strip() or None, rest.strip() or None


def _swagger_type(typ: str) -> dict[str, Any]:
    base = typ.split("(", maxsplit=1)[0].strip()
    if base.endswith("[]"):
        item = _swagger_type(base[:-2])
        return {"format": typ, "type": "array", "items": {"type": item.get("type", "string")}}
    if base in _INTEGER:
        return {"type": "integer", "format": typ}
    if base in _NUMBER:
        return {"type": "number", "format": typ}
    if base == "boolean":
        return {"type": "boolean", "format": typ}
    if base in ("json", "jsonb"):
        return {"format": typ}
    return {"type": "string", "format": typ}


def _property(col: Column, table: Table | None) -> dict[str, Any]:
    prop = _swagger_type(col.type)
    description = col.description or ""
    if table is not None and col.name in table.pk:
        note = "Note:\nThis is a Primary Key.<pk/>"
        description = f"{description}\n\n{note}" if description else note
    if description:
        prop["description"] = description
    if col.default is not None:
        prop["default"] = col.default
    if col.enum:
        prop["enum"] = list(col.enum)
    if col.max_length is not None:
        prop["maxLength"] = col.max_length
    return prop


def _definition(table: Table) -> dict[str, Any]:
    cols = sorted(table.columns.values(), key=lambda c: c.position)
    definition: dict[str, Any] = {
        "properties": {c.name: _property(c, table) for c in cols},
        "type": "object",
    }
    required = [c.name for c in cols if not c.nullable and c.default is None and not c.generated]
    if required:
        definition["required"] = required
    if table.description:
        definition["description"] = table.description
    return definition


def _table_path(table: Table) -> dict[str, Any]:
    name = table.name
    summary, description = _split_comment(table.description)
    filters = [
        {"$ref": f"#/parameters/rowFilter.{name}.{c}"}
        for c in sorted(table.columns, key=lambda c: table.columns[c].position)
    ]
    common: dict[str, Any] = {"tags": [name]}
    if summary:
        common["summary"] = summary
    if description:
        common["description"] = description
    ok_array = {
        "description": "OK",
        "schema": {"items": {"$ref": f"#/definitions/{name}"}, "type": "array"},
    }
    path: dict[str, Any] = {
        "get": {
            **common,
            "parameters": [
                *filters,
                *(
                    {"$ref": f"#/parameters/{p}"}
                    for p in (
                        "select",
                        "order",
                        "range",
                        "rangeUnit",
                        "offset",
                        "limit",
                        "preferCount",
                    )
                ),
            ],
            "responses": {"200": ok_array, "206": {"description": "Partial Content"}},
        },
    }
    if table.insertable:
        path["post"] = {
            **common,
            "parameters": [
                {"$ref": f"#/parameters/body.{name}"},
                {"$ref": "#/parameters/select"},
                {"$ref": "#/parameters/preferPost"},
            ],
            "responses": {"201": {"description": "Created"}},
        }
    if table.updatable:
        path["patch"] = {
            **common,
            "parameters": [
                *filters,
                {"$ref": f"#/parameters/body.{name}"},
                {"$ref": "#/parameters/preferReturn"},
            ],
            "responses": {"204": {"description": "No Content"}},
        }
    if table.deletable:
        path["delete"] = {
            **common,
            "parameters": [*filters, {"$ref": "#/parameters/preferReturn"}],
            "responses": {"204": {"description": "No Content"}},
        }
    return path


def _function_path(fn: Function) -> dict[str, Any]:
    summary, description = _split_comment(fn.description)
    named = [p for p in fn.params if p.name]
    schema: dict[str, Any] = {}
    required = [p.name for p in named if p.name in fn.required]
    if required:
        schema["required"] = required
    schema["properties"] = {p.name: _swagger_type(p.type) for p in named}
    schema["type"] = "object"
    if fn.description:
        schema["description"] = fn.description
    common: dict[str, Any] = {"tags": [f"(rpc) {fn.name}"]}
    if summary:
        common["summary"] = summary
    if description:
        common["description"] = description
    path: dict[str, Any] = {
        "post": {
            **common,
            "parameters": [
                {"in": "body", "name": "args", "required": True, "schema": schema},
                {"$ref": "#/parameters/preferParams"},
            ],
            "produces": [
                "application/json",
                "application/vnd.pgrst.object+json;nulls=stripped",
                "application/vnd.pgrst.object+json",
            ],
            "responses": {"200": {"description": "OK"}},
        }
    }
    if fn.volatility != "v":
        params = []
        for p in named:
            kind = _swagger_type(p.type)
            param: dict[str, Any] = {
                "format": p.type,
                "in": "query",
                "name": p.name,
                "required": p.name in fn.required,
                "type": kind.get("type", "string"),
            }
            if "items" in kind:
                param["items"] = kind["items"]
            params.append(param)
        path["get"] = {**common, "parameters": params, "responses": {"200": {"description": "OK"}}}
    return path


def _parameters(tables: list[Table]) -> dict[str, Any]:
    params: dict[str, Any] = {
        "preferParams": {
            "name": "Prefer",
            "description": "Preference",
            "required": False,
            "enum": ["params=single-object"],
            "in": "header",
            "type": "string",
        },
        "preferReturn": {
            "name": "Prefer",
            "description": "Preference",
            "required": False,
            "enum": ["return=representation", "return=minimal", "return=none"],
            "in": "header",
            "type": "string",
        },
        "preferCount": {
            "name": "Prefer",
            "description": "Preference",
            "required": False,
            "enum": ["count=none"],
            "in": "header",
            "type": "string",
        },
        "preferPost": {
            "name": "Prefer",
            "description": "Preference",
            "required": False,
            "enum": [
                "return=representation",
                "return=minimal",
                "return=none",
                "resolution=ignore-duplicates",
                "resolution=merge-duplicates",
            ],
            "in": "header",
            "type": "string",
        },
        "select": {
            "name": "select",
            "description": "Filtering Columns",
            "required": False,
            "in": "query",
            "type": "string",
        },
        "on_conflict": {
            "name": "on_conflict",
            "description": "On Conflict",
            "required": False,
            "in": "query",
            "type": "string",
        },
        "order": {
            "name": "order",
            "description": "Ordering",
            "required": False,
            "in": "query",
            "type": "string",
        },
        "range": {
            "name": "Range",
            "description": "Limiting and Pagination",
            "required": False,
            "in": "header",
            "type": "string",
        },
        "rangeUnit": {
            "name": "Range-Unit",
            "description": "Limiting and Pagination",
            "required": False,
            "default": "items",
            "in": "header",
            "type": "string",
        },
        "offset": {
            "name": "offset",
            "description": "Limiting and Pagination",
            "required": False,
            "in": "query",
            "type": "string",
        },
        "limit": {
            "name": "limit",
            "description": "Limiting and Pagination",
            "required": False,
            "in": "query",
            "type": "string",
        },
    }
    for table in tables:
        params[f"body.{table.name}"] = {
            "name": table.name,
            "description": table.name,
            "required": False,
            "in": "body",
            "schema": {"$ref": f"#/definitions/{table.name}"},
        }
        for col in table.columns.values():
            params[f"rowFilter.{table.name}.{col.name}"] = {
                "name": col.name,
                "required": False,
                "in": "query",
                "type": "string",
                "format": col.type,
                **({"description": col.description} if col.description else {}),
            }
    return params


def build(
    cache: SchemaCache,
    schema: str,
    config: Config,
    *,
    accessible_tables: set[str] | None,
    accessible_functions: set[int] | None,
    host: str | None,
    schema_description: str | None = None,
) -> bytes:
    tables = sorted(
        (
            t
            for (s, _), t in cache.tables.items()
            if s == schema and (accessible_tables is None or t.name in accessible_tables)
        ),
        key=lambda t: t.name,
    )
    functions = sorted(
        (
            fn
            for (s, _), fns in cache.functions.items()
            if s == schema
            for fn in fns
            if accessible_functions is None or fn.oid in accessible_functions
        ),
        key=lambda f: f.name,
    )
    paths: dict[str, Any] = {
        "/": {
            "get": {
                "produces": ["application/openapi+json", "application/json"],
                "responses": {"200": {"description": "OK"}},
                "summary": "OpenAPI description (this document)",
                "tags": ["Introspection"],
            }
        }
    }
    for table in tables:
        paths[f"/{table.name}"] = _table_path(table)
    for fn in functions:
        if fn.params and any(not p.name for p in fn.params) and len(fn.params) > 1:
            continue
        paths[f"/rpc/{fn.name}"] = _function_path(fn)
    title, description = _split_comment(schema_description)
    doc: dict[str, Any] = {
        "swagger": "2.0",
        "info": {
            "description": description or "",
            "title": title or "standard public schema",
            "version": "12.2.0 (taproot)",
        },
        "host": host or f"{config.server_host}:{config.server_port}",
        "basePath": config.server_root_path or "/",
        "schemes": ["http"],
        "consumes": _MEDIA,
        "produces": _MEDIA,
        "paths": paths,
        "definitions": {t.name: _definition(t) for t in tables},
        "parameters": _parameters(tables),
        "externalDocs": {
            "description": "PostgREST Documentation",
            "url": "https://postgrest.org/en/v12/references/api.html",
        },
    }
    if config.openapi_server_proxy_uri:
        from urllib.parse import urlsplit

        parts = urlsplit(config.openapi_server_proxy_uri)
        doc["host"] = parts.netloc
        doc["basePath"] = parts.path or "/"
        doc["schemes"] = [parts.scheme]
    return json.dumps(doc, ensure_ascii=False).encode()

"""Plan stage, writes: POST/PATCH/PUT/DELETE on tables and views → MutatePlan. Pure.

The payload's keys are the columns written (or `columns=`), checked against the schema
cache (PGRST204); rows are built by PostgreSQL from the JSON body (json_to_recordset),
never by Python. PUT is PostgREST's single-row upsert by primary key (PGRST105/114/115).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from typing import Any, Literal

from gateway import errors
from gateway.errors import ApiError
from gateway.request import ApiRequest, split_query
from gateway.schema_cache import Column, Table


@dataclass(slots=True)
class MutatePlan:
    kind: Literal["insert", "update", "delete", "upsert"]
    columns: tuple[Column, ...]  # the payload columns written, in payload order
    body: bytes
    representation: Literal["full", "minimal", "headers-only"]
    on_conflict: tuple[str, ...] | None = None  # insert … ON CONFLICT (these)
    resolution: Literal["merge-duplicates", "ignore-duplicates"] | None = None
    pk: tuple[str, ...] = ()
    max_affected: int | None = None
    missing_default: bool = False  # Prefer: missing=default
    limited: bool = False  # PATCH/DELETE with limit/offset: rows chosen by ctid


def _payload(body: bytes) -> Any:
    if not body.strip():
        raise errors.invalid_body("Empty or invalid json")
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise errors.invalid_body("Empty or invalid json") from None


def payload_keys(body: bytes, many: bool, columns_given: bool = False) -> list[str]:
    """The keys of a JSON object, or of an array of objects, which must all have the same
    keys unless `columns=` says which to take."""
    value = _payload(body)
    if isinstance(value, dict):
        return list(value)
    if many and isinstance(value, list):
        if not value:
            return []
        first = value[0] if isinstance(value[0], dict) else None
        if first is None or not all(isinstance(v, dict) for v in value):
            raise errors.invalid_body("All object keys must match")
        if not columns_given and any(set(v) != set(first) for v in value[1:]):
            raise errors.invalid_body("All object keys must match")
        return list(first)
    if not many and isinstance(value, list) and value and isinstance(value[0], dict):
        return list(value[0])  # PATCH with an array uses its first object, as PostgREST
    raise errors.invalid_body("Empty or invalid json")


def _all_keys(body: bytes) -> set[str]:
    value = _payload(body)
    rows = value if isinstance(value, list) else [value]
    return {k for row in rows if isinstance(row, dict) for k in row}


def _columns(table: Table, keys: list[str], only: tuple[str, ...] | None) -> tuple[Column, ...]:
    names = list(only) if only is not None else keys
    out = []
    for name in names:
        col = table.columns.get(name)
        if col is None:
            raise errors.column_not_found(table.name, name)
        out.append(col)
    return tuple(out)


def plan_mutation(req: ApiRequest, table: Table) -> MutatePlan:
    prefs = req.prefer
    representation = prefs.representation or "minimal"
    limited = req.ranges.get(()) is not None
    if req.method == "DELETE":
        return MutatePlan(
            "delete", (), b"", representation, max_affected=prefs.max_affected, limited=limited
        )
    body = _as_json(req.content_type, req.body)
    if req.method == "POST":
        keys = payload_keys(body, many=True, columns_given=req.columns is not None)
        cols = _columns(table, keys, req.columns)
        if prefs.missing == "default" and req.columns is not None:
            # a column no object mentions is left to the table: its DEFAULT (identity too)
            present = _all_keys(body)
            cols = tuple(c for c in cols if c.name in present)
        on_conflict = req.on_conflict
        if prefs.resolution is not None and on_conflict is None:
            on_conflict = table.pk or None
        for name in on_conflict or ():
            if name not in table.columns:
                raise errors.column_not_found(table.name, name)
        return MutatePlan(
            "insert",
            cols,
            body,
            representation,
            on_conflict=on_conflict if prefs.resolution is not None else None,
            resolution=prefs.resolution if on_conflict else None,
            pk=table.pk,
            missing_default=prefs.missing == "default",
        )
    if req.method == "PATCH":
        keys = payload_keys(body, many=False)
        cols = _columns(table, keys, req.columns)
        return MutatePlan(
            "update", cols, body, representation, max_affected=prefs.max_affected, limited=limited
        )
    # PUT: one row, addressed by its whole primary key with eq filters
    return _plan_put(req, table, body, representation)


def _as_json(content_type: str, body: bytes) -> bytes:
    """Form and CSV payloads become the JSON PostgREST would have made of them."""
    if content_type in ("application/json", ""):
        return body
    if content_type == "application/x-www-form-urlencoded":
        return json.dumps({k: v or "" for k, v in split_query(body)}).encode()
    if content_type == "text/csv":
        try:
            rows = list(csv.reader(io.StringIO(body.decode("utf-8"))))
        except (UnicodeDecodeError, csv.Error):
            raise errors.invalid_body("Error in $: Failed reading CSV") from None
        if not rows:
            return b"[]"
        header, data = rows[0], rows[1:]
        if any(len(r) != len(header) for r in data):
            raise errors.invalid_body("All lines must have same number of fields")
        return json.dumps(
            [
                {k: (None if v == "NULL" else v) for k, v in zip(header, r, strict=False)}
                for r in data
            ]
        ).encode()
    raise errors.invalid_body(f"Content-Type not acceptable: {content_type}")


def _plan_put(
    req: ApiRequest,
    table: Table,
    body: bytes,
    representation: Literal["full", "minimal", "headers-only"],
) -> MutatePlan:
    if req.ranges.get(()) is not None:
        raise errors.put_limit()
    eqs = {f.field.name: f.expr for path, f in req.filters if not path}
    if (
        not table.pk
        or set(eqs) != set(table.pk)
        or len(req.filters) != len(table.pk)
        or req.logic
        or any(e.op != "eq" or e.negated or e.quant for e in eqs.values())
    ):
        raise errors.invalid_filters()
    value = _payload(body)
    row = value[0] if isinstance(value, list) and value else value  # the first, as PostgREST
    if not isinstance(row, dict):
        raise errors.invalid_body("Empty or invalid json")
    for name in table.pk:
        if name not in row or str(_scalar(row[name])) != str(eqs[name].value):
            raise errors.put_matching_pk()
    cols = _columns(table, list(row), req.columns)
    return MutatePlan(
        "upsert",
        cols,
        json.dumps(row).encode(),
        representation,
        on_conflict=table.pk,
        resolution="merge-duplicates",
        pk=table.pk,
    )


def _scalar(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def check_limits(req: ApiRequest, table: Table) -> ApiError | None:
    """PATCH/DELETE with limit/offset pick their rows by ctid, which only tables have."""
    if (
        req.method in ("PATCH", "DELETE")
        and req.ranges.get(()) is not None
        and table.kind not in ("r", "p")
    ):
        return errors.not_implemented("limit/offset on PATCH and DELETE of a view")
    return None

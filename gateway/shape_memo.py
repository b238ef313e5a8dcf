"""A memo of GET plans by the query string's shape: the same URL with other filter values.

The exact memo (app.py) serves a repeated URL; real clients rarely repeat one: they ask
for `?id=eq.<this id>` then `?id=eq.<that id>`. Parsing and planning such a request costs
0.2 to 0.9 ms of Python (bench/load), more than the rest of the request. Here the values of
simple top-level filters (`column=eq.value`, also neq/gt/gte/lt/lte) are taken out of the
key; when the statement planned for the first request of a shape carries each of those
values exactly once, as a bind parameter of its own, a later request of the same shape
gets that statement with its own values put in those parameters, and nothing else changes.

Anything else stays out: RPC paths (their parameters are arguments with their own types),
values with characters that URL decoding or the filter grammar would change, and shapes
whose first statement uses a value twice, transformed, or in a count query.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from gateway.query import Statement

_OPS = (b"eq.", b"neq.", b"gt.", b"gte.", b"lt.", b"lte.")
# a plain column name, and a value that URL decoding and the grammar leave as it is
_KEY = re.compile(rb"^[A-Za-z_][A-Za-z0-9_]*$")
_VALUE = re.compile(rb"^[A-Za-z0-9_\-:]+$")
_RESERVED = frozenset({b"select", b"columns", b"on_conflict", b"order", b"limit", b"offset",
                       b"and", b"or", b"not"})  # fmt: skip
_MASK = b"\x00"


def shape(path: str, query_string: bytes) -> tuple[bytes, tuple[str, ...]] | None:
    """The query string with simple filter values masked, and those values in order;
    None when nothing is masked (the exact memo is enough) or the path is an RPC."""
    if path.startswith("/rpc/") or not query_string:
        return None
    parts = query_string.split(b"&")
    values: list[str] = []
    for n, part in enumerate(parts):
        key, eq, value = part.partition(b"=")
        if not eq or key in _RESERVED or not _KEY.match(key):
            continue
        for op in _OPS:
            if value.startswith(op):
                raw = value[len(op) :]
                if raw and _VALUE.match(raw):
                    parts[n] = key + b"=" + op + _MASK
                    values.append(raw.decode("ascii"))
                break
    if not values:
        return None
    return b"&".join(parts), tuple(values)


def positions(statement: Statement, values: tuple[str, ...]) -> tuple[int, ...] | None:
    """Where each value sits in the statement's parameters, when each is there exactly
    once and untransformed and no count query uses them; else None (no template)."""
    if statement.count_sql is not None:
        return None
    if len(set(values)) != len(values):
        return None
    found: list[int] = []
    for value in values:
        at = [i for i, p in enumerate(statement.params) if p == value]
        if len(at) != 1:
            return None
        found.append(at[0])
    return tuple(found)


def bind(statement: Statement, at: tuple[int, ...], values: tuple[str, ...]) -> Statement:
    params = list(statement.params)
    for i, value in zip(at, values, strict=True):
        params[i] = value
    return replace(statement, params=params)


def rebind_request(api_req: Any, query_string: bytes) -> Any:
    """The memoized request with this request's query string (Content-Location)."""
    return replace(api_req, query_string=query_string, canonical=None)

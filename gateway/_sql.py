"""Load named SQL statements from gateway/sql/*.sql (`-- name: x` headers)."""

from __future__ import annotations

from taproot.sqlfiles import named_queries


def queries(file: str) -> dict[str, str]:
    return named_queries("gateway", file)


def query(file: str, name: str) -> str:
    return queries(file)[name]

"""The sidecar's named SQL statements, from sidecar/sql/*.sql (`-- name: x` headers)."""

from __future__ import annotations

from taproot.sqlfiles import named_queries


def query(file: str, name: str) -> str:
    return named_queries("sidecar", file)[name]

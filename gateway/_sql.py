"""Load named SQL statements from gateway/sql/*.sql (`-- name: x` headers)."""

from __future__ import annotations

import functools
import re
from importlib import resources

_HEADER = re.compile(r"^--\s*name:\s*([a-z_][a-z0-9_]*)\s*$", re.MULTILINE)


@functools.cache
def queries(file: str) -> dict[str, str]:
    text = resources.files("gateway").joinpath("sql", f"{file}.sql").read_text()
    parts = _HEADER.split(text)
    out: dict[str, str] = {}
    for name, body in zip(parts[1::2], parts[2::2], strict=True):
        lines = [line for line in body.strip().splitlines() if not line.startswith("--")]
        out[name] = "\n".join(lines).strip().rstrip(";")
    return out


def query(file: str, name: str) -> str:
    return queries(file)[name]

"""Load named SQL statements from a package's sql/*.sql files (`-- name: x` headers).

SQL the Python needs lives in .sql files, one statement per `-- name:` section, loaded by
name (as Procrastinate does); the gateway, the sidecar and the workers share this loader.
"""

from __future__ import annotations

import functools
import re
from importlib import resources

_HEADER = re.compile(r"^--\s*name:\s*([a-z_][a-z0-9_]*)\s*$", re.MULTILINE)


@functools.cache
def named_queries(package: str, file: str) -> dict[str, str]:
    text = resources.files(package).joinpath("sql", f"{file}.sql").read_text()
    parts = _HEADER.split(text)
    out: dict[str, str] = {}
    for name, body in zip(parts[1::2], parts[2::2], strict=True):
        lines = [line for line in body.strip().splitlines() if not line.startswith("--")]
        out[name] = "\n".join(lines).strip().rstrip(";")
    return out

"""Secrets from the environment or from files (`<VARIABLE>_FILE`, as Docker secrets are).

`PGRST_JWT_SECRET_FILE=/run/secrets/jwt` reads the file (trailing newline stripped) when
`PGRST_JWT_SECRET` itself is not set. Values are never logged; a missing file is an
error naming the variable, not the content.
"""

from __future__ import annotations

import pathlib
from collections.abc import Iterable, Mapping


class SecretFileError(ValueError):
    pass


def with_files(env: Mapping[str, str], names: Iterable[str]) -> dict[str, str]:
    """`env` plus, for each of `names` unset but with a `_FILE` variable, the file's text."""
    out = dict(env)
    for name in names:
        path = env.get(name + "_FILE")
        if name in env or not path:
            continue
        try:
            out[name] = pathlib.Path(path).read_text().rstrip("\r\n")
        except OSError as exc:
            raise SecretFileError(f"{name}_FILE: cannot read {path}: {exc.strerror}") from None
    return out

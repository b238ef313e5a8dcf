"""Assertions shared by the spec files: status, the headers that matter, the exact body.

Bodies are compared parsed (JSON equality, key order irrelevant) and in full, so a
missing or extra key fails. Error bodies always carry all four PostgREST keys.
"""

from __future__ import annotations

import json
from typing import Any

import requests

JSON_CT = "application/json; charset=utf-8"
OBJECT_CT = "application/vnd.pgrst.object+json; charset=utf-8"
CSV_CT = "text/csv; charset=utf-8"
OPENAPI_CT = "application/openapi+json; charset=utf-8"


def _describe(resp: requests.Response) -> str:
    return f"{resp.request.method} {resp.request.url} -> {resp.status_code}: {resp.text[:600]!r}"


def body_json(resp: requests.Response) -> Any:
    try:
        return json.loads(resp.content)
    except ValueError as exc:
        raise AssertionError(f"body is not JSON: {_describe(resp)}") from exc


def assert_json(
    resp: requests.Response,
    status: int,
    body: Any,
    *,
    content_range: str | None = None,
    content_type: str = JSON_CT,
    headers: dict[str, str] | None = None,
) -> None:
    """Status, Content-Type (with charset), optional Content-Range and headers, exact body."""
    assert resp.status_code == status, _describe(resp)
    assert resp.headers.get("Content-Type") == content_type, (
        resp.headers.get("Content-Type"),
        _describe(resp),
    )
    if content_range is not None:
        assert resp.headers.get("Content-Range") == content_range, (
            resp.headers.get("Content-Range"),
            _describe(resp),
        )
    for name, value in (headers or {}).items():
        assert resp.headers.get(name) == value, (name, resp.headers.get(name), _describe(resp))
    assert body_json(resp) == body, _describe(resp)


def assert_rows(resp: requests.Response, body: list[Any], content_range: str | None = None) -> None:
    """A 200 JSON array read; Content-Range defaults to what PostgREST sends without a count."""
    if content_range is None:
        content_range = f"0-{len(body) - 1}/*" if body else "*/*"
    assert_json(resp, 200, body, content_range=content_range)


def assert_error(  # noqa: PLR0917 -- positional reads like PostgREST's {code,message,details,hint}
    resp: requests.Response,
    status: int,
    code: str,
    message: str,
    details: str | None = None,
    hint: str | None = None,
    *,
    headers: dict[str, str] | None = None,
) -> None:
    """PostgREST's error shape, compared whole: {code, message, details, hint}."""
    assert_json(
        resp,
        status,
        {"code": code, "message": message, "details": details, "hint": hint},
        headers=headers,
    )


def ids(*numbers: int) -> list[dict[str, int]]:
    """[{"id": n}, …] — the shape of most `items` reads."""
    return [{"id": n} for n in numbers]

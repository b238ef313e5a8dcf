"""Errors the sidecar answers with, and their two wire shapes (OpenAI's and Anthropic's).

Everything that goes wrong is raised as a `SidecarError` (or a provider's `ProviderError`,
converted by `from_provider`); the one registered error handler renders it in the shape of
the endpoint that was called. Database SQLSTATEs map to HTTP statuses through the
gateway's table, so both front doors answer the same status for the same failure.
"""

from __future__ import annotations

import json
import math
from typing import Any

import psycopg

from ai.errors import HTTP_STATUS, ErrorKind, ProviderError
from gateway.errors import sqlstate_status

# OpenAI's `type` for each status (its SDKs pick the exception class from the status)
_OPENAI_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    409: "conflict_error",
    413: "invalid_request_error",
    422: "invalid_request_error",
    429: "rate_limit_error",
}
# Anthropic's documented error types
_ANTHROPIC_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    529: "overloaded_error",
}


class SidecarError(Exception):
    """An error answered to the client; `headers` are added to the response."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str | None = None,
        code: str | None = None,
        param: str | None = None,
        headers: dict[str, str] | None = None,
        details: Any = None,
    ) -> None:
        super().__init__(message)
        self.details = details
        self.status = status
        self.message = message
        self.type = type or _OPENAI_TYPES.get(status, "api_error")
        self.code = code
        self.param = param
        self.headers = dict(headers or {})

    def openai_body(self) -> dict[str, Any]:
        error: dict[str, Any] = {
            "message": self.message,
            "type": self.type,
            "param": self.param,
            "code": self.code,
        }
        if self.details is not None:
            error["details"] = self.details
        return {"error": error}

    def anthropic_body(self) -> dict[str, Any]:
        kind = _ANTHROPIC_TYPES.get(self.status, "api_error")
        return {"type": "error", "error": {"type": kind, "message": self.message}}


def bad_request(message: str, *, param: str | None = None, code: str | None = None) -> SidecarError:
    return SidecarError(400, message, param=param, code=code)


def unauthorized(message: str) -> SidecarError:
    return SidecarError(
        401, message, code="invalid_api_key", headers={"www-authenticate": "Bearer"}
    )


def budget_exhausted(message: str, retry_after: int = 60) -> SidecarError:
    """429 that tells SDKs not to retry: waiting does not refill a spent budget soon."""
    return SidecarError(
        429,
        message,
        type="insufficient_quota",
        code="budget_exhausted",
        headers={"retry-after": str(retry_after), "x-should-retry": "false"},
    )


def rate_limited(limit: str, retry_after: float) -> SidecarError:
    """429 for an API key over its per-minute limits: waiting `retry-after` helps."""
    return SidecarError(
        429,
        f"Rate limit reached for this API key ({limit}); retry in {math.ceil(retry_after)} s",
        type="requests",
        code="rate_limit_exceeded",
        headers={"retry-after": str(max(1, math.ceil(retry_after)))},
    )


def from_provider(exc: ProviderError) -> SidecarError:
    status = HTTP_STATUS.get(exc.kind, 502)
    headers: dict[str, str] = {}
    if exc.retry_after is not None:
        headers["retry-after"] = str(max(1, math.ceil(exc.retry_after)))
    if exc.kind in (ErrorKind.AUTH, ErrorKind.PERMANENT, ErrorKind.CONTENT_FILTER):
        headers["x-should-retry"] = "false"
    message = f"{exc.provider}: {exc.message}" if exc.provider else exc.message
    return SidecarError(status, message, code=exc.kind.value, headers=headers)


def from_database(exc: psycopg.Error) -> SidecarError:
    diag = exc.diag
    sqlstate = diag.sqlstate or "XX000"
    message = diag.message_primary or str(exc)
    detail = diag.message_detail
    if sqlstate == "PT429" and detail == "budget_exhausted":
        return budget_exhausted(message)
    status = sqlstate_status(sqlstate, message, True)
    if status >= 500:
        return SidecarError(status, "the database could not answer", code=sqlstate)
    return SidecarError(status, message, code=sqlstate)


def event_data(body: dict[str, Any]) -> str:
    """An error as a server-sent event payload (in-band, after the first byte)."""
    return json.dumps(body, separators=(",", ":"))

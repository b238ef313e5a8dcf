"""Logging shared by every Taproot process (gateway, sidecar, workers): one line per record.

JSON lines (`{"time", "level", "logger", "message", "process", "request_id", …}`) when
TAPROOT_LOG_FORMAT=json, or by default when stderr is not a terminal; the familiar
`time pid LEVEL logger: message` text on a terminal or with TAPROOT_LOG_FORMAT=text.

The request being served is a context variable (`bind`): every record logged while it is
bound carries its request id, W3C traceparent and user id, whichever thread or asyncio
task logs it (asyncio tasks and `run_coroutine_threadsafe` copy the caller's context).
Fields passed with `extra=` become top-level JSON fields.
"""

from __future__ import annotations

import contextvars
import datetime
import json
import logging
import os
import re
import sys
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import IO, Any

FORMAT_VARIABLE = "TAPROOT_LOG_FORMAT"
FORMATS = ("auto", "json", "text")
TEXT_FORMAT = "%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s"
REQUEST_ID_HEADER = "x-request-id"
TRACEPARENT_HEADER = "traceparent"

# What a client may send as X-Request-Id (anything else is replaced by a fresh id): short,
# printable, no spaces or quotes, so it is safe in a header, a log line and a GUC.
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:@/+=-]{1,128}$")
# W3C Trace Context: version-traceid-parentid-flags, lower-case hex
_TRACEPARENT = re.compile(r"^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$")


@dataclass(slots=True)
class RequestContext:
    """The request a record belongs to; `claims_json` (a JWT's claims) gives the user id."""

    request_id: str
    traceparent: str | None = None
    claims_json: str | None = None
    _user_id: str | None = None

    @property
    def user_id(self) -> str | None:
        # parsed only when a record is written: most requests log nothing
        if self._user_id is None and self.claims_json:
            try:
                claims = json.loads(self.claims_json)
            except ValueError:
                claims = None
            sub = claims.get("sub") if isinstance(claims, dict) else None
            self._user_id = str(sub) if sub is not None else ""
        return self._user_id or None

    @user_id.setter
    def user_id(self, value: str | None) -> None:
        self._user_id = value


_current: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar(
    "taproot_request", default=None
)


def new_request_id() -> str:
    return str(uuid.uuid4())


def accept_request_id(value: str | None) -> str:
    """The client's X-Request-Id when it is usable, else a new id."""
    if value and _REQUEST_ID.match(value):
        return value
    return new_request_id()


def accept_traceparent(value: str | None) -> str | None:
    """A well-formed W3C traceparent, passed through unchanged; anything else is dropped."""
    if value and _TRACEPARENT.match(value.strip()):
        return value.strip()
    return None


def bind(context: RequestContext | None) -> contextvars.Token[RequestContext | None]:
    """Make `context` the current request (until `reset` with the returned token)."""
    return _current.set(context)


def reset(token: contextvars.Token[RequestContext | None]) -> None:
    _current.reset(token)


def current() -> RequestContext | None:
    return _current.get()


def request_id() -> str | None:
    context = _current.get()
    return context.request_id if context is not None else None


def outgoing_headers() -> dict[str, str]:
    """Headers that carry the current request to another service (a provider call)."""
    context = _current.get()
    if context is None:
        return {}
    headers = {"X-Request-Id": context.request_id}
    if context.traceparent:
        headers["traceparent"] = context.traceparent
    return headers


# Attributes every LogRecord has: anything else on a record came through `extra=`.
_STANDARD = frozenset(
    [
        *logging.LogRecord("", 0, "", 0, "", (), None).__dict__,
        "message",
        "asctime",
        "taskName",
        "color_message",  # uvicorn's message with terminal colours
    ]
)


def _time(record: logging.LogRecord) -> str:
    moment = datetime.datetime.fromtimestamp(record.created, tz=datetime.UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class JsonFormatter(logging.Formatter):
    """One JSON object per record; the current request's ids and `extra=` fields included."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": _time(record),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "process": record.process,
        }
        context = _current.get()
        if context is not None:
            out["request_id"] = context.request_id
            if context.traceparent:
                out["traceparent"] = context.traceparent
            user = context.user_id
            if user:
                out["user_id"] = user
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_") and key not in out:
                out[key] = value
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            out["stack"] = self.formatStack(record.stack_info)
        return json.dumps(out, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """The human-readable line, with `[request <id>]` while a request is bound."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        context = _current.get()
        if context is None:
            return line
        first, newline, rest = line.partition("\n")
        return f"{first} [request {context.request_id}]{newline}{rest}"


def log_format(environ: Mapping[str, str] | None = None, stream: IO[str] | None = None) -> str:
    """json or text: TAPROOT_LOG_FORMAT, or for `auto` (the default) text on a terminal."""
    env = os.environ if environ is None else environ
    chosen = env.get(FORMAT_VARIABLE, "auto").strip().lower() or "auto"
    if chosen not in FORMATS:
        raise ValueError(f"{FORMAT_VARIABLE}: expected one of {', '.join(FORMATS)}, got {chosen!r}")
    if chosen != "auto":
        return chosen
    out = sys.stderr if stream is None else stream
    try:
        return "text" if out.isatty() else "json"
    except (AttributeError, ValueError):
        return "json"


class _Handler(logging.StreamHandler):  # type: ignore[type-arg]
    """Marks the handler `configure` installed, so that a second call replaces it."""


def configure(
    level: int | str,
    *,
    fmt: str | None = None,
    stream: IO[str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> str:
    """Send every logger's records to stderr (or `stream`) as `fmt`; returns the format."""
    chosen = fmt or log_format(environ, stream)
    handler = _Handler(sys.stderr if stream is None else stream)
    handler.setFormatter(JsonFormatter() if chosen == "json" else TextFormatter())
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _Handler)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper() if isinstance(level, str) else level)
    return chosen

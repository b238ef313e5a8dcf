"""Server-sent event frames (pure): `id:`/`event:`/`data:` lines, comments and `retry:`.

A frame is built once per event and shared by every subscriber that receives it.
"""

from __future__ import annotations

import json
from typing import Any

KEEP_ALIVE = b": keep-alive\n\n"
# The final event of a stream: `data.reason` says why, `data.action` what the client does.
CLOSED = "realtime.closed"


def frame(event: str, data: str, event_id: int | None = None) -> bytes:
    """One event; a body with line breaks (never from json_build_object) becomes data lines."""
    head = f"id: {event_id}\nevent: {event}\n" if event_id is not None else f"event: {event}\n"
    if "\n" in data or "\r" in data:
        data = "\ndata: ".join(data.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    return f"{head}data: {data}\n\n".encode()


def retry(ms: int) -> bytes:
    return f"retry: {ms}\n\n".encode()


def closed(reason: str, action: str, event_id: int | None = None, **extra: Any) -> bytes:
    """The final event: action is `reconnect` (EventSource does it by itself, from its
    last id), `refetch` (state was lost to retention: reload it, then reconnect),
    `reauthenticate` (token expired) or `stop` (access was taken away)."""
    body = json.dumps({"reason": reason, "action": action, **extra}, separators=(",", ":"))
    return frame(CLOSED, body, event_id)

"""Slow and oversized request heads, refused before the application sees them.

uvicorn's httptools protocol has a keep-alive timeout between requests but no limit on
how long a request's head may take, nor on its size (llhttp enforces none). This
subclass adds both: a head must arrive within `header_timeout` seconds of its first
byte (else 408 and the connection is closed; a fresh connection that sends nothing is
an idle one, closed quietly after uvicorn's keep-alive timeout, as between requests),
its URL within `max_url` bytes (414) and its header fields within `max_headers` bytes
(431). Bodies are the application's: the gateway's deadline covers a body that arrives
too slowly. Pass the class as uvicorn's
`http`; `configure` sets the limits (class attributes: uvicorn builds the protocol).
"""

from __future__ import annotations

import os
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

ENV = "TAPROOT_HTTP_GUARD"  # "<header timeout>,<max url>,<max headers>", for spawned workers
_REASONS = {408: b"Request Timeout", 414: b"URI Too Long", 431: b"Request Header Fields Too Large"}


class GuardedHttpTools(HttpToolsProtocol):
    header_timeout = 10.0
    max_url = 16384
    max_headers = 32768

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        self._head_size = 0
        self._head_timer: Any = None
        # Idle until its first byte: the keep-alive timeout, not the head deadline (a client
        # that opens a connection ahead of its first request must not get an unasked 408).
        self.timeout_keep_alive_task = self.loop.call_later(
            self.timeout_keep_alive, self.timeout_keep_alive_handler
        )

    def _arm(self) -> None:
        if self.header_timeout and self._head_timer is None:
            self._head_timer = self.loop.call_later(self.header_timeout, self._too_slow)

    def _disarm(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._head_size = 0
        self._arm()

    def on_url(self, url: bytes) -> None:
        super().on_url(url)
        if len(self.url) > self.max_url:
            self._refuse(414)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._head_size += len(name) + len(value) + 4
        if self._head_size > self.max_headers:
            self._refuse(431)
            return
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._disarm()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _too_slow(self) -> None:
        self._head_timer = None
        if not self.transport.is_closing():
            self._refuse(408)

    def _refuse(self, status: int) -> None:
        self._disarm()
        if self.transport.is_closing():
            return
        body = _REASONS[status]
        self.transport.write(
            b"HTTP/1.1 %d %s\r\ncontent-type: text/plain; charset=utf-8\r\n"
            b"content-length: %d\r\nconnection: close\r\n\r\n%s" % (status, body, len(body), body)
        )
        self.transport.close()


def configure(header_timeout: float, max_url: int, max_headers: int) -> type[GuardedHttpTools]:
    """Set the limits here and, through the environment, in worker processes spawned later."""
    os.environ[ENV] = f"{header_timeout:g},{max_url},{max_headers}"
    _load()
    return GuardedHttpTools


def _load() -> None:
    raw = os.environ.get(ENV)
    if not raw:
        return
    timeout, url, headers = raw.split(",")
    GuardedHttpTools.header_timeout = float(timeout)
    GuardedHttpTools.max_url = int(url)
    GuardedHttpTools.max_headers = int(headers)


_load()

"""One load-generator process of bench.realtime: many SSE subscribers on raw asyncio sockets.

`python -m bench.realtime_client SPEC OUT`. SPEC (JSON): host, port, path, rate (new
connections/s), inflight (handshakes at once) and subs: [[topic, token], ...]. Each
subscriber is one HTTP/1.1 GET with an `Authorization` header on its own socket; the
chunked body is de-chunked and cut into SSE frames by hand (no HTTP library). Once every
subscriber has seen `: connected` (or failed) the process prints `ready OK FAILED` and
answers `count` lines on stdin with the events received so far; any other line makes it
write OUT (JSON): per subscriber its topic, the event ids it received, the latency of
each (receive time - the producer's timestamp carried in the payload as
`"title": "t<ns>"`, same clock, same machine), keep-alives and final events; plus the
process's CPU seconds while it was receiving.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import resource
import sys
import time
from pathlib import Path
from typing import Any, cast

import uvloop

TITLE = b'"title": "t'


class Sub(asyncio.Protocol):
    __slots__ = (
        "_body",
        "_carry",
        "_head",
        "_need",
        "_skip",
        "closed",
        "connected",
        "error",
        "ids",
        "keepalives",
        "lats",
        "request",
        "topic",
        "transport",
    )

    def __init__(self, topic: str, request: bytes, connected: asyncio.Future[bool]) -> None:
        self.topic = topic
        self.request = request
        self.connected = connected
        self.transport: asyncio.Transport | None = None
        self._head: bytes | None = b""  # None once the response head is parsed
        self._body = b""  # de-chunked bytes not yet cut into frames
        self._need = 0  # bytes of the current chunk still to come
        self._skip = 0  # CRLF bytes after a chunk still to skip
        self._carry = b""  # a chunk-size line split across reads
        self.ids: list[int] = []
        self.lats: list[float] = []
        self.keepalives = 0
        self.closed: list[str] = []
        self.error: str | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)
        self.transport.write(self.request)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.connected.done():
            self.connected.set_result(False)
            self.error = self.error or f"connection lost: {exc}"
        elif not self.closed:
            self.closed.append(f"lost: {exc}")

    def data_received(self, data: bytes) -> None:
        now = time.time_ns()
        if self._head is not None:
            head = self._head + data
            end = head.find(b"\r\n\r\n")
            if end < 0:
                self._head = head
                return
            status = head[: head.find(b"\r\n")]
            self._head = None
            if b" 200 " not in status:
                self.error = status.decode("latin-1")
                if not self.connected.done():
                    self.connected.set_result(False)
                return
            data = head[end + 4 :]
        self._dechunk(data, now)

    def _dechunk(self, data: bytes, now: int) -> None:
        if self._carry:
            data, self._carry = self._carry + data, b""
        pos, size = 0, len(data)
        parts: list[bytes] = []
        while pos < size:
            if self._skip:
                step = min(self._skip, size - pos)
                self._skip -= step
                pos += step
                continue
            if self._need:
                take = min(self._need, size - pos)
                parts.append(data[pos : pos + take])
                self._need -= take
                pos += take
                if not self._need:
                    self._skip = 2
                continue
            line_end = data.find(b"\r\n", pos)
            if line_end < 0:  # a chunk-size line split across reads: keep it for later
                self._carry = data[pos:]
                break
            self._need = int(data[pos:line_end].split(b";", 1)[0], 16)
            pos = line_end + 2
            if self._need == 0:
                self._skip = 2
        if parts:
            self._frames(b"".join(parts), now)

    def _frames(self, data: bytes, now: int) -> None:
        body = self._body + data
        start = 0
        while True:
            end = body.find(b"\n\n", start)
            if end < 0:
                break
            self._frame(body[start:end], now)
            start = end + 2
        self._body = body[start:]

    def _frame(self, frame: bytes, now: int) -> None:
        if frame.startswith(b":"):
            if frame.startswith(b": connected"):
                if not self.connected.done():
                    self.connected.set_result(True)
            else:
                self.keepalives += 1
            return
        if frame.startswith(b"retry:"):
            return
        if b"event: realtime.closed" in frame:
            self.closed.append(frame.decode(errors="replace"))
            return
        if not frame.startswith(b"id: "):
            return
        event_id = int(frame[4 : frame.find(b"\n")])
        self.ids.append(event_id)
        mark = frame.find(TITLE)
        if mark >= 0:
            begin = mark + len(TITLE)
            sent = int(frame[begin : frame.find(b'"', begin)])
            self.lats.append(round((now - sent) / 1e6, 3))
        else:
            self.lats.append(-1.0)


def raise_nofile() -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


async def run(spec: dict[str, Any], out_path: str) -> None:
    loop = asyncio.get_running_loop()
    host, port, path = str(spec["host"]), int(spec["port"]), str(spec["path"])
    rate, inflight = float(spec["rate"]), asyncio.Semaphore(int(spec["inflight"]))
    subs: list[Sub] = []

    async def open_one(topic: str, token: str) -> None:
        request = (
            f"GET {path}?topics={topic} HTTP/1.1\r\nHost: {host}:{port}\r\n"
            f"Authorization: Bearer {token}\r\nAccept: text/event-stream\r\n\r\n"
        ).encode()
        sub = Sub(topic, request, loop.create_future())
        subs.append(sub)
        async with inflight:
            try:
                await loop.create_connection(lambda: sub, host, port)
                await asyncio.wait_for(asyncio.shield(sub.connected), 30)
            except (OSError, TimeoutError) as exc:
                sub.error = sub.error or f"{type(exc).__name__}: {exc}"
                if not sub.connected.done():
                    sub.connected.set_result(False)

    started = time.monotonic()
    tasks: list[asyncio.Task[None]] = []
    for n, (topic, token) in enumerate(spec["subs"]):
        due = started + n / rate
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(open_one(topic, token)))
    await asyncio.gather(*tasks)
    ramp = time.monotonic() - started
    ok = sum(1 for s in subs if s.connected.result())
    cpu0 = time.process_time()
    print(f"ready {ok} {len(subs) - ok} {ramp:.3f}", flush=True)
    while True:  # `count` → how many events arrived so far; anything else → stop
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if line.strip() != "count":
            break
        print(f"count {sum(len(s.ids) for s in subs)}", flush=True)
    cpu = time.process_time() - cpu0
    for sub in subs:
        if sub.transport is not None:
            sub.transport.close()
    errors: dict[str, int] = {}
    for sub in subs:
        if sub.error:
            errors[sub.error[:120]] = errors.get(sub.error[:120], 0) + 1
    result = {
        "ramp_seconds": ramp,
        "cpu_seconds": cpu,
        "errors": errors,
        "subs": [
            {
                "topic": s.topic,
                "ok": s.connected.result(),
                "ids": s.ids,
                "lats": s.lats,
                "keepalives": s.keepalives,
                "closed": s.closed,
            }
            for s in subs
        ],
    }
    await loop.run_in_executor(None, Path(out_path).write_text, json.dumps(result))
    print("done", flush=True)
    await asyncio.sleep(0.1)


def main() -> None:
    raise_nofile()
    spec_path, out_path = sys.argv[1], sys.argv[2]
    with open(spec_path) as handle:
        spec = json.load(handle)
    with contextlib.suppress(KeyboardInterrupt):
        uvloop.run(run(spec, out_path))


if __name__ == "__main__":
    main()

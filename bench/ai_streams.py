"""Load generator for bench/ai.py: N concurrent streamed chat completions over raw sockets.

Run as its own process (pinned with taskset by bench/ai.py) so its event loop does not share
a GIL with anything measured: `python -m bench.ai_streams CONFIG_JSON` prints one JSON line.
Each of `streams` coroutines keeps one keep-alive connection and runs streams back to back
until `seconds` have passed (the first starts are spread over `ramp` seconds). Per stream it
records the time to the first SSE event (sent once the first upstream token is in), the gaps
between content chunks, the x-taproot-overhead-ms header, and whether `data: [DONE]` and the
end of the chunked body arrived.
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

CONTENT = b'"delta":{"content":'


@dataclass
class Tally:
    ttft_ms: list[float] = field(default_factory=list)
    header_ms: list[float] = field(default_factory=list)
    gaps_ms: list[float] = field(default_factory=list)
    total_ms: list[float] = field(default_factory=list)
    chunks: list[int] = field(default_factory=list)
    completed: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    started: int = 0

    def error(self, kind: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1


class Broken(Exception):
    pass


async def _read_head(reader: asyncio.StreamReader) -> tuple[int, dict[str, str]]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            k, _, v = line.partition(":")
            headers[k.strip().lower()] = v.strip()
    return status, headers


async def _body_pieces(
    reader: asyncio.StreamReader, headers: dict[str, str]
) -> AsyncIterator[bytes]:
    if headers.get("transfer-encoding", "").lower() == "chunked":
        while True:
            size_line = await reader.readuntil(b"\r\n")
            size = int(size_line.split(b";")[0].strip(), 16)
            if size == 0:
                await reader.readuntil(b"\r\n")
                return
            data = await reader.readexactly(size + 2)
            yield data[:-2]
    elif "content-length" in headers:
        yield await reader.readexactly(int(headers["content-length"]))
    else:
        while True:
            data = await reader.read(65536)
            if not data:
                return
            yield data


@dataclass
class Events:
    """The SSE events of one stream as its body arrives: first-event time, content gaps."""

    buffer: bytes = b""
    first: float | None = None
    last_content: float | None = None
    gaps: list[float] = field(default_factory=list)
    chunks: int = 0
    done: bool = False
    failed: bool = False

    def feed(self, piece: bytes, now: float) -> None:
        self.buffer += piece
        while b"\n\n" in self.buffer:
            event, self.buffer = self.buffer.split(b"\n\n", 1)
            if self.first is None:
                self.first = now
            if event == b"data: [DONE]":
                self.done = True
            elif b'"error"' in event[:16]:
                self.failed = True
            elif CONTENT in event:
                self.chunks += 1
                if self.last_content is not None:
                    self.gaps.append((now - self.last_content) * 1000)
                self.last_content = now


async def _one(cfg: dict[str, Any], conn: list[Any], tally: Tally) -> None:
    if conn[0] is None:
        conn[0], conn[1] = await asyncio.open_connection(cfg["host"], cfg["port"])
    reader, writer = conn[0], conn[1]
    sent = time.perf_counter()
    writer.write(random.choice(cfg["requests"]).encode())
    status, headers = await _read_head(reader)
    if status != 200:
        async for _ in _body_pieces(reader, headers):
            pass
        raise Broken(f"http {status}")
    if "x-taproot-overhead-ms" in headers:
        tally.header_ms.append(float(headers["x-taproot-overhead-ms"]))
    events = Events()
    async for piece in _body_pieces(reader, headers):
        events.feed(piece, time.perf_counter())
    end = time.perf_counter()
    if headers.get("connection", "").lower() == "close":
        writer.close()
        conn[0] = conn[1] = None
    if events.failed:
        raise Broken("in-band error event")
    if not events.done or events.first is None:
        raise Broken("stream ended without [DONE]")
    tally.ttft_ms.append((events.first - sent) * 1000)
    tally.total_ms.append((end - sent) * 1000)
    tally.gaps_ms.extend(events.gaps)
    tally.chunks.append(events.chunks)
    tally.completed += 1


async def _worker(index: int, cfg: dict[str, Any], tally: Tally, deadline: float) -> None:
    await asyncio.sleep(cfg["ramp"] * index / cfg["streams"])
    conn: list[Any] = [None, None]
    while time.perf_counter() < deadline:
        tally.started += 1
        try:
            await asyncio.wait_for(_one(cfg, conn, tally), cfg["timeout"])
        except (
            TimeoutError,
            Broken,
            OSError,
            asyncio.IncompleteReadError,
            asyncio.LimitOverrunError,
            ValueError,
        ) as exc:
            kind = str(exc) if isinstance(exc, Broken) else type(exc).__name__
            tally.error(kind)
            if conn[1] is not None:
                conn[1].close()
            conn[0] = conn[1] = None
            await asyncio.sleep(0.1)
    if conn[1] is not None:
        conn[1].close()


def _pct(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def _main(cfg: dict[str, Any]) -> dict[str, Any]:
    tally = Tally()
    began = time.perf_counter()
    deadline = began + cfg["seconds"]
    await asyncio.gather(*(_worker(i, cfg, tally, deadline) for i in range(cfg["streams"])))
    elapsed = time.perf_counter() - began
    return {
        "elapsed_s": elapsed,
        "started": tally.started,
        "completed": tally.completed,
        "errors": tally.errors,
        "chunks_p50": _pct([float(c) for c in tally.chunks], 50),
        "gaps": len(tally.gaps_ms),
        **{
            f"{name}_p{p}": _pct(values, p)
            for name, values in (
                ("ttft", tally.ttft_ms),
                ("header", tally.header_ms),
                ("gap", tally.gaps_ms),
                ("total", tally.total_ms),
            )
            for p in (50, 90, 99, 99.9)
        },
    }


def main() -> None:
    cfg = json.loads(sys.argv[1])
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    print(json.dumps(asyncio.run(_main(cfg))))


if __name__ == "__main__":
    main()

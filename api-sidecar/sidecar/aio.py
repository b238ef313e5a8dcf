"""One asyncio event loop per process, in a background thread, and the bridges to it.

The providers are async (their httpx clients belong to one loop); Flask views are sync
and run on gunicorn's threads. Whole calls cross with `run_coroutine_threadsafe`; streams
cross through a thread-safe queue the loop fills and the request thread drains, so a
request thread never touches the loop's objects.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from typing import Any, Generic, TypeVar

T = TypeVar("T")

_DONE = object()


class Loop:
    """The process's event loop thread; `start` after fork (one per gunicorn worker)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="sidecar-aio", daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def start(self) -> None:
        self._thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Run `coro` on the loop and wait for its result (its exception is re-raised)."""
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            return future.result(timeout)
        except BaseException:
            future.cancel()
            raise

    def stream(self, open_stream: Callable[[], AsyncIterator[T]]) -> Stream[T]:
        """Iterate, from this thread, the async iterator `open_stream()` makes on the loop."""
        return Stream(self.loop, open_stream)

    def stop(self, closing: Callable[[], Coroutine[Any, Any, None]] | None = None) -> None:
        if not self._thread.is_alive():
            return
        if closing is not None:
            # best effort: the process is exiting anyway
            with contextlib.suppress(Exception):
                self.run(closing(), timeout=10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=10)


class Stream(Generic[T]):
    """A sync iterator over an async iterator running on the loop.

    The loop side pumps items into an unbounded queue: model output is small and a put
    must never block the loop. `close()` cancels the pump (the client went away).
    """

    def __init__(
        self, loop: asyncio.AbstractEventLoop, open_stream: Callable[[], AsyncIterator[T]]
    ) -> None:
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._loop = loop
        self._closed = False
        self._future = asyncio.run_coroutine_threadsafe(self._pump(open_stream), loop)

    async def _pump(self, open_stream: Callable[[], AsyncIterator[T]]) -> None:
        put = self._queue.put
        iterator = open_stream()
        try:
            async for item in iterator:
                put((True, item))
            put((False, _DONE))
        except asyncio.CancelledError:
            put((False, _DONE))
            raise
        except BaseException as exc:
            put((False, exc))
        finally:
            closer = getattr(iterator, "aclose", None)
            if closer is not None:
                await closer()

    def __iter__(self) -> Iterator[T]:
        return self

    def __next__(self) -> T:
        if self._closed:
            raise StopIteration
        ok, item = self._queue.get()
        if ok:
            return item  # type: ignore[no-any-return]
        self._closed = True
        if item is _DONE:
            raise StopIteration
        raise item

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            # thread-safe: concurrent.futures cancellation cancels the task on the loop
            self._future.cancel()

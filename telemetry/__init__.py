"""Prometheus metrics shared by every Taproot process (prometheus-client, multiprocess mode).

Each process writes its samples to memory-mapped files in PROMETHEUS_MULTIPROC_DIR (one
directory per component); a scrape merges the files of every process, so one scrape sees
the whole component however many worker processes serve it. With TAPROOT_METRICS_GROUP_DIR
a scrape also merges every subdirectory of that directory: `taproot up` puts the gateway,
sidecar and worker directories side by side there and the gateway's /metrics covers the
whole process group on the host. Without PROMETHEUS_MULTIPROC_DIR the process reports its
own numbers only (tests, scripts). See docs/operations.md, "Metrics".
"""

from __future__ import annotations

import contextlib
import glob
import os
import re
import threading
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    generate_latest,
    start_http_server,
)
from prometheus_client.metrics_core import Metric
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from prometheus_client.registry import Collector

__all__ = [
    "CONTENT_TYPE",
    "DeltaCounter",
    "Sampler",
    "directories",
    "expose",
    "registry",
    "serve",
]

CONTENT_TYPE = CONTENT_TYPE_LATEST
MULTIPROC_VAR = "PROMETHEUS_MULTIPROC_DIR"
GROUP_VAR = "TAPROOT_METRICS_GROUP_DIR"
_LIVE_FILE = re.compile(r"^gauge_live\w+_(\d+)\.db$")


def directories() -> list[Path]:
    """This process's metrics directory and, with a group, every directory of the group."""
    found: list[Path] = []
    own = os.environ.get(MULTIPROC_VAR)
    if own:
        found.append(Path(own))
    group = os.environ.get(GROUP_VAR)
    if group and Path(group).is_dir():
        found += sorted(p for p in Path(group).iterdir() if p.is_dir())
    unique: dict[Path, None] = {}
    for path in found:
        unique.setdefault(path.resolve(), None)
    return list(unique)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class _Files(Collector):
    """The merged samples of every process that wrote to `dirs` (live gauges of dead
    processes are dropped: the processes share the host, so a pid that is gone is dead)."""

    def __init__(self, dirs: Sequence[Path]) -> None:
        self.dirs = list(dirs)

    def collect(self) -> Iterable[Metric]:
        files: list[str] = []
        for folder in self.dirs:
            for name in sorted(glob.glob(str(folder / "*.db"))):
                live = _LIVE_FILE.match(os.path.basename(name))
                if live is not None and not _alive(int(live.group(1))):
                    mark_process_dead(int(live.group(1)), str(folder))  # type: ignore[no-untyped-call]
                    continue
                files.append(name)
        merged: Iterable[Metric] = MultiProcessCollector.merge(  # type: ignore[no-untyped-call]
            files, accumulate=True
        )
        return merged


class _Process(Collector):
    """This process's own registry (single-process mode)."""

    def collect(self) -> Iterable[Metric]:
        return REGISTRY.collect()


def registry(extra: Sequence[Collector] = ()) -> CollectorRegistry:
    """What one scrape reports: every process of the group (or this one) and `extra`."""
    reg = CollectorRegistry()
    dirs = directories()
    reg.register(_Files(dirs) if dirs else _Process())
    for collector in extra:
        reg.register(collector)
    return reg


def expose(extra: Sequence[Collector] = ()) -> bytes:
    """The Prometheus text exposition of `registry(extra)` (blocking: file and DB reads)."""
    return generate_latest(registry(extra))


def serve(port: int, host: str = "127.0.0.1", extra: Sequence[Collector] = ()) -> bool:
    """Serve GET /metrics on host:port from a daemon thread; False when the port is taken
    (on a shared host a sibling process already serves the same directory)."""
    try:
        start_http_server(port, addr=host, registry=registry(extra))
    except OSError:
        return False
    return True


class DeltaCounter:
    """Mirrors plain int counters kept elsewhere (e.g. a limiter's `counts` dict) into a
    labelled prometheus Counter: each sync adds what grew since the last one."""

    def __init__(self, counter: Counter) -> None:
        self.counter = counter
        self._seen: dict[str, int] = {}
        self._lock = threading.Lock()

    def sync(self, counts: dict[str, int]) -> None:
        with self._lock:
            for label, value in list(counts.items()):
                grown = value - self._seen.get(label, 0)
                if grown > 0:
                    self.counter.labels(label).inc(grown)
                    self._seen[label] = value
                elif label not in self._seen:
                    self.counter.labels(label)  # the series exists from the start, at 0
                    self._seen[label] = value


class Sampler:
    """Calls `sample()` every `interval` seconds from a daemon thread (gauges of pools,
    breakers and the like, which each process must write itself in multiprocess mode)."""

    def __init__(self, sample: Callable[[], None], interval: float = 1.0) -> None:
        self._sample = sample
        self._interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="metrics-sampler", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            # a metrics sample never takes the process down
            with contextlib.suppress(Exception):
                self._sample()
            self._stop.wait(self._interval)

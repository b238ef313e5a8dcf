"""Runs child processes for `up`: restarts those that may die (workers), and stops them all
on a signal or when one that may not (the gateway) dies."""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import FrameType

# A restartable child that dies this often in this window is broken, not unlucky.
MAX_RESTARTS = 5
RESTART_WINDOW = 60.0


@dataclass
class _Spec:
    argv: list[str]
    env: dict[str, str]
    restart: bool
    restarts: list[float] = field(default_factory=list)


@dataclass
class Supervisor:
    """Starts named processes and tears every one of them down, whatever happens."""

    children: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    stopping: bool = False
    _specs: dict[str, _Spec] = field(default_factory=dict)

    def spawn(
        self, name: str, argv: Sequence[str], env: dict[str, str], *, restart: bool = False
    ) -> subprocess.Popen[bytes]:
        """Start `name`; with restart=True it is started again whenever it exits."""
        self._specs[name] = _Spec(list(argv), env, restart)
        return self._start(name)

    def _start(self, name: str) -> subprocess.Popen[bytes]:
        spec = self._specs[name]
        # Own process group: a terminal's Ctrl-C reaches us first, and we decide the order.
        proc = subprocess.Popen(spec.argv, env=spec.env, start_new_session=True)
        self.children[name] = proc
        return proc

    def _may_restart(self, name: str) -> bool:
        spec = self._specs.get(name)
        if spec is None or not spec.restart:
            return False
        now = time.monotonic()
        spec.restarts = [t for t in spec.restarts if now - t < RESTART_WINDOW]
        if len(spec.restarts) >= MAX_RESTARTS:
            return False
        spec.restarts.append(now)
        return True

    def install_signal_handlers(self) -> None:
        def handler(signum: int, _frame: FrameType | None) -> None:
            self.stopping = True

        signal.signal(signal.SIGINT, handler)
        signal.signal(signal.SIGTERM, handler)

    def wait(self, poll: float = 0.2) -> str | None:
        """Block until a signal arrives (None) or a child that may not die exits (its name).

        A restartable child that exits is started again, unless it keeps dying.
        """
        while not self.stopping:
            for name, proc in list(self.children.items()):
                if proc.poll() is None:
                    continue
                if not self._may_restart(name):
                    return name
                print(
                    f"taproot: {name} exited (code {proc.returncode}); restarting it",
                    file=sys.stderr,
                )
                self._start(name)
            time.sleep(poll)
        return None

    def stop_all(self, grace: float = 35.0) -> None:
        # Longer than any child's own drain (sidecar 30 s, worker 20 s): they finish
        # in-flight work; only one that hangs past it is killed.
        for proc in self.children.values():
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + grace
        for name, proc in self.children.items():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                print(f"taproot: {name} did not stop in {grace:.0f}s; killing it", file=sys.stderr)
                proc.kill()
                proc.wait()
        self.children.clear()

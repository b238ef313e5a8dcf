"""Runs child processes for `up`, stops them all on a signal or when one of them dies."""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import FrameType


@dataclass
class Supervisor:
    """Starts named processes and tears every one of them down, whatever happens."""

    children: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    stopping: bool = False

    def spawn(self, name: str, argv: Sequence[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        # Own process group: a terminal's Ctrl-C reaches us first, and we decide the order.
        proc = subprocess.Popen(list(argv), env=env, start_new_session=True)
        self.children[name] = proc
        return proc

    def install_signal_handlers(self) -> None:
        def handler(signum: int, _frame: FrameType | None) -> None:
            self.stopping = True

        signal.signal(signal.SIGINT, handler)
        signal.signal(signal.SIGTERM, handler)

    def wait(self, poll: float = 0.2) -> str | None:
        """Block until a signal arrives (None) or a child exits (its name)."""
        while not self.stopping:
            for name, proc in self.children.items():
                if proc.poll() is not None:
                    return name
            time.sleep(poll)
        return None

    def stop_all(self, grace: float = 10.0) -> None:
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

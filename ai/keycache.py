"""Workspaces' decrypted provider keys, reused briefly by the process that read them.

A call must not pay a database transaction for its workspace's key (app.provider_credential),
and a replaced key takes effect within TTL. Thread-safe: the sidecar reads it from many
request threads; the workers from one event loop. Keys are never logged or shown in reprs.
"""

from __future__ import annotations

import threading
import time

TTL = 60.0


class KeyCache:
    def __init__(self, ttl: float = TTL) -> None:
        self._ttl = ttl
        self._keys: dict[tuple[str, str], tuple[float, str | None]] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"KeyCache({len(self._keys)} keys)"

    def get(self, workspace_id: str, credential: str) -> tuple[bool, str | None]:
        """(fresh, key): key None when the workspace stored none for that credential."""
        with self._lock:
            cached = self._keys.get((workspace_id, credential))
        if cached is None or time.monotonic() - cached[0] >= self._ttl:
            return False, None
        return True, cached[1]

    def put(self, workspace_id: str, credential: str, key: str | None) -> None:
        with self._lock:
            self._keys[(workspace_id, credential)] = (time.monotonic(), key)

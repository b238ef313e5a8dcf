"""`python -m sidecar`: serve the sidecar with gunicorn (gthread workers).

Listens on SIDECAR_HOST:SIDECAR_PORT with TAPROOT_SIDECAR_WORKERS processes of
TAPROOT_SIDECAR_THREADS threads each (a thread per open stream). Each worker builds its
own application after the fork, so its pool and event loop are its own. SIGTERM drains:
gunicorn stops accepting, lets requests finish for the graceful timeout, then the worker
closes its providers and pool.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

from sidecar.app import create_app, start, stop
from sidecar.settings import Settings, SettingsError, load

GRACEFUL_TIMEOUT = 30


class _Server(BaseApplication):  # type: ignore[misc]
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        super().__init__()

    def load_config(self) -> None:
        s = self.settings
        options: dict[str, Any] = {
            "bind": f"{s.host}:{s.port}",
            "workers": s.workers,
            "worker_class": "gthread",
            "threads": s.threads,
            "keepalive": s.keepalive,
            # a long stream is not a hung worker: the heartbeat thread keeps it alive
            "timeout": 120,
            "graceful_timeout": GRACEFUL_TIMEOUT,
            "loglevel": s.log_level,
            "accesslog": "-" if s.log_level == "debug" else None,
            "post_worker_init": _post_worker_init,
            "worker_exit": _worker_exit,
            "proc_name": "taproot-sidecar",
            # gunicorn's control socket lives in $HOME: two sidecars on a host would share it.
            "control_socket_disable": True,
        }
        for key, value in options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        return create_app(self.settings)


def _post_worker_init(worker: Any) -> None:
    start(worker.wsgi)


def _worker_exit(_server: Any, worker: Any) -> None:
    app = getattr(worker, "wsgi", None)
    if isinstance(app, Flask):
        stop(app)


def main() -> int:
    try:
        settings = load()
    except SettingsError as exc:
        print(f"sidecar: configuration error: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s",
    )
    _Server(settings).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())

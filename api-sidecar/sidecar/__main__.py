"""`python -m sidecar`: serve the sidecar with gunicorn (gthread workers).

Listens on SIDECAR_HOST:SIDECAR_PORT with TAPROOT_SIDECAR_WORKERS processes of
TAPROOT_SIDECAR_THREADS threads each (a thread per open stream). Each worker builds its
own application after the fork, so its pool and event loop are its own. SIGTERM drains:
gunicorn stops accepting, lets requests finish for TAPROOT_SIDECAR_GRACEFUL_TIMEOUT
seconds, then the worker closes its providers and pool. Logs (gunicorn's own lines
included) are JSON lines unless stderr is a terminal (TAPROOT_LOG_FORMAT, taproot/logs.py).
"""

from __future__ import annotations

import sys
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication
from gunicorn.glogging import Logger
from gunicorn.workers.gthread import ThreadWorker

from sidecar.app import create_app, start, stop
from sidecar.settings import Settings, SettingsError, load
from taproot import logs


class _Worker(ThreadWorker):  # type: ignore[misc]
    """gthread, except that SIGTERM closes the listening sockets at once: new connections
    are refused (not left in the backlog) while in-flight requests finish."""

    def set_accept_enabled(self, enabled: bool) -> None:
        super().set_accept_enabled(enabled)
        if not enabled and not self.alive:
            for listener in self.sockets:
                listener.close()


class _Logger(Logger):  # type: ignore[misc]
    """gunicorn's error log through the process's handler (JSON or text, taproot/logs.py)."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        self.error_log.handlers.clear()
        self.error_log.propagate = True


class _Server(BaseApplication):  # type: ignore[misc]
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        super().__init__()

    def load_config(self) -> None:
        s = self.settings
        options: dict[str, Any] = {
            "bind": f"{s.host}:{s.port}",
            "workers": s.workers,
            "worker_class": _Worker,
            "threads": s.threads,
            "keepalive": s.keepalive,
            # a long stream is not a hung worker: the heartbeat thread keeps it alive
            "timeout": 120,
            "graceful_timeout": s.graceful_timeout,
            "loglevel": s.log_level,
            # one line per request comes from the app (sidecar.request), with its ids
            "accesslog": None,
            "logger_class": _Logger,
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
    try:
        logs.configure(settings.log_level.upper())
    except ValueError as exc:
        print(f"sidecar: configuration error: {exc}", file=sys.stderr)
        return 2
    _Server(settings).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())

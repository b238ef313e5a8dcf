"""`python -m gateway [config-file]`: serve the gateway with uvicorn (uvloop, httptools).

PGRST_* variables override the file, as in PostgREST. With server-workers > 1 uvicorn
starts that many processes; each re-reads the configuration through `factory`.
Logs are JSON lines unless stderr is a terminal (TAPROOT_LOG_FORMAT, taproot/logs.py),
uvicorn's own included. SIGTERM stops accepting, lets in-flight requests finish for
taproot-shutdown-timeout seconds, then closes the pools (the lifespan's shutdown).
With server-unix-socket it listens on that unix socket (server-unix-socket-mode) instead of
TCP; the admin server (admin-server-port) is started by each process's lifespan (admin.py).
"""

from __future__ import annotations

import contextlib
import logging
import os
import pathlib
import signal
import socket
import stat
import sys
from typing import Any

from gateway.app import App, create_app
from gateway.config import Config, ConfigError, host_address, load
from taproot import logs

_FILE_VAR = "TAPROOT_GATEWAY_CONFIG_FILE"
_LEVELS = {
    "crit": logging.CRITICAL,
    "error": logging.ERROR,
    "warn": logging.WARNING,
    "info": logging.INFO,
    "debug": logging.DEBUG,
}


def _config() -> Config:
    path = os.environ.get(_FILE_VAR)
    return load(config_file=pathlib.Path(path) if path else None)


def _configure_logging(config: Config) -> None:
    logs.configure(_LEVELS[config.log_level])
    # uvicorn's own lines (start-up, errors) go through the same handler
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True


def factory() -> App:
    """Called by uvicorn in each worker process (a spawned one configures its logging)."""
    config = _config()
    _configure_logging(config)
    return create_app(config)


_host = host_address  # the name the CLI's tests know


def _unix_socket(path: str, mode: int) -> socket.socket:
    """server-unix-socket: bound here with server-unix-socket-mode (uvicorn's own `uds`
    would chmod it 666), a stale socket file replaced; uvicorn serves it by fd."""
    with contextlib.suppress(FileNotFoundError):
        if stat.S_ISSOCK(os.stat(path).st_mode):
            os.unlink(path)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(path)
    os.chmod(path, mode)
    sock.listen(4096)
    sock.set_inheritable(True)
    return sock


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] in ("-h", "--help"):
        print(__doc__)
        return 0
    if args:
        os.environ[_FILE_VAR] = str(pathlib.Path(args[0]).resolve())
    try:
        config = _config()
    except ConfigError as exc:
        print(f"gateway: configuration error: {exc}", file=sys.stderr)
        return 2
    level = _LEVELS[config.log_level]
    try:
        _configure_logging(config)
    except ValueError as exc:
        print(f"gateway: configuration error: {exc}", file=sys.stderr)
        return 2
    import uvicorn

    from ratelimit import slowloris

    # uvicorn drains on SIGTERM, then raises the signal again under the handler it found:
    # this one makes a drained stop exit 0, as supervisors (systemd, `taproot up`) expect
    signal.signal(signal.SIGTERM, lambda _signum, _frame: sys.exit(0))
    guard = config.limits
    # httptools, with a deadline and size limits on request heads (slow clients, slowloris)
    http = slowloris.configure(guard.header_timeout, guard.max_url_bytes, guard.max_header_bytes)
    # server-unix-socket takes precedence over server-host/server-port, as in PostgREST
    where: dict[str, Any] = {"host": host_address(config.server_host), "port": config.server_port}
    if config.server_unix_socket:
        try:
            unix = _unix_socket(config.server_unix_socket, config.server_unix_socket_mode)
        except OSError as exc:
            print(f"gateway: cannot listen on {config.server_unix_socket}: {exc}", file=sys.stderr)
            return 2
        where = {"fd": unix.fileno()}
    uvicorn.run(
        "gateway.__main__:factory",
        factory=True,
        **where,
        workers=config.server_workers,
        loop="uvloop",
        http=http,
        lifespan="on",
        # one line per request comes from the app itself (gateway.request), with its ids
        access_log=False,
        log_config=None,
        log_level=logging.getLevelName(max(level, logging.INFO)).lower()
        if level <= logging.INFO
        else "warning",
        proxy_headers=False,
        server_header=False,
        date_header=True,
        # many long-lived streams (/realtime) and keep-alive clients with long think times;
        # no limit_concurrency: uvicorn's 503 would make EventSource give up for good
        timeout_keep_alive=config.keepalive_seconds,
        backlog=4096,
        timeout_graceful_shutdown=config.shutdown_timeout,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

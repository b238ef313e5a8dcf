"""The admin server (admin-server-port, admin-server-host): PostgREST's second listener.

GET /live (200 while the process serves), /ready (200 when the schema cache is loaded and
the database answers, else 503; empty bodies, as PostgREST), /metrics (the gateway's
Prometheus text), /config (the effective configuration in PostgREST's `key = value`
format, secrets redacted) and /schema_cache (the schema cache as JSON); anything else 404.
It runs in the gateway's own process and event loop, as a second uvicorn server started
and stopped by the app's lifespan; with server-workers > 1 every worker binds the port
with SO_REUSEPORT.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import socket
from collections.abc import Awaitable, Callable, MutableMapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

import telemetry
from gateway.config import Config, host_address

if TYPE_CHECKING:
    from gateway.app import App

log = logging.getLogger("gateway.admin")

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

REDACTED = "********"
_TRUE = ("true", "on", "yes", "1")


class AdminServer:
    """Serves the admin routes of `app` on its own socket while the app runs."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.port: int | None = None  # the bound port (admin-server-port = 0 picks one)
        self._server: Any = None
        self._socket: socket.socket | None = None

    async def start(self) -> None:
        import uvicorn

        config = self.app.config
        assert config.admin_server_port is not None
        sock = _bind(
            host_address(config.admin_server_host),
            config.admin_server_port,
            reuse_port=config.server_workers > 1,
        )
        server_config = uvicorn.Config(
            self,
            lifespan="off",
            log_config=None,
            access_log=False,
            server_header=False,
            date_header=False,
            timeout_graceful_shutdown=2,
        )
        server_config.load()
        server = uvicorn.Server(server_config)
        server.lifespan = server_config.lifespan_class(server_config)
        await server.startup(sockets=[sock])
        self._server, self._socket = server, sock
        self.port = sock.getsockname()[1]
        log.info("admin server listening on port %s", self.port)

    async def close(self) -> None:
        if self._server is not None:
            await self._server.shutdown(sockets=[self._socket] if self._socket else None)
            self._server = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        status, headers, body = await self.route(scope["path"], scope["method"])
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send(
            {"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body}
        )

    async def route(self, path: str, method: str) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        if method not in ("GET", "HEAD"):
            return 405, [(b"allow", b"GET, HEAD")], b""
        app = self.app
        if path == "/live":
            return 200, [], b""
        if path == "/ready":
            loaded = app.reloader.cache is not None
            if not loaded:
                app.reloader.request_reload()
            ok = loaded and await app.db.ping()
            return (200 if ok else 503), [], b""
        if path == "/metrics":
            body = await app.metrics.render()
            return 200, [(b"content-type", telemetry.CONTENT_TYPE.encode())], body
        if path == "/config":
            return 200, [(b"content-type", b"text/plain; charset=utf-8")], config_text(app.config)
        if path == "/schema_cache":
            cache = app.reloader.cache
            body = b"" if cache is None else json.dumps(jsonable(cache)).encode()
            return 200, [(b"content-type", b"application/json")], body
        return 404, [], b""


def _bind(host: str, port: int, *, reuse_port: bool) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port and hasattr(socket, "SO_REUSEPORT"):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.listen(128)
    sock.setblocking(False)
    return sock


def redact_uri(uri: str) -> str:
    """A libpq URI without its password (user:********@host)."""
    parts = urlsplit(uri)
    if parts.password is None:
        return uri
    host = parts.netloc.rpartition("@")[2]
    user = parts.netloc.rpartition("@")[0].partition(":")[0]
    return urlunsplit(parts._replace(netloc=f"{user}:{REDACTED}@{host}"))


def config_text(config: Config) -> bytes:
    """PostgREST's Config.toText: `key = value` lines, strings quoted, in its order; the
    JWT secret, the db-uri password and app.settings values are redacted (PostgREST prints
    them as they are)."""
    raw = config.raw

    def q(value: str) -> str:
        return '"' + value.replace('"', '\\"') + '"'

    def b(value: bool) -> str:
        return "true" if value else "false"

    def qi(name: tuple[str, ...] | None) -> str:
        return q(".".join(name) if name else "")

    lines = [
        ("db-aggregates-enabled", b(config.db_aggregates_enabled)),
        ("db-anon-role", q(config.db_anon_role or "")),
        ("db-channel", q(config.db_channel)),
        ("db-channel-enabled", b(config.db_channel_enabled)),
        ("db-extra-search-path", q(",".join(config.db_extra_search_path))),
        ("db-hoisted-tx-settings", q(",".join(config.db_hoisted_tx_settings))),
        ("db-max-rows", '""' if config.db_max_rows is None else str(config.db_max_rows)),
        ("db-plan-enabled", b(config.db_plan_enabled)),
        ("db-pool", str(config.db_pool)),
        ("db-pool-acquisition-timeout", str(int(config.db_pool_acquisition_timeout))),
        ("db-pre-request", qi(config.db_pre_request)),
        ("db-prepared-statements", b(config.db_prepared_statements)),
        ("db-root-spec", qi(config.db_root_spec)),
        ("db-schemas", q(",".join(config.db_schemas))),
        ("db-config", b(config.db_config)),
        ("db-pre-config", qi(config.db_pre_config)),
        ("db-tx-end", q(config.db_tx_end)),
        ("db-uri", q(redact_uri(config.db_uri))),
        ("jwt-aud", q(config.jwt_aud or "")),
        ("jwt-role-claim-key", q(raw.get("jwt-role-claim-key", ".role").strip())),
        ("jwt-secret", q(REDACTED if raw.get("jwt-secret") else "")),
        ("jwt-secret-is-base64", b(raw.get("jwt-secret-is-base64", "").strip().lower() in _TRUE)),
        ("jwt-cache-max-lifetime", str(config.jwt_cache_max_lifetime)),
        ("log-level", q(config.log_level)),
        ("log-query", q("main-query" if config.log_query else "disabled")),
        ("openapi-mode", q(config.openapi_mode)),
        ("openapi-server-proxy-uri", q(config.openapi_server_proxy_uri or "")),
        ("server-cors-allowed-origins", q(",".join(config.server_cors_allowed_origins))),
        ("server-host", q(config.server_host)),
        ("server-port", str(config.server_port)),
        ("server-trace-header", q(raw.get("server-trace-header", "").strip())),
        ("server-timing-enabled", b(config.server_timing_enabled)),
        ("server-unix-socket", q(config.server_unix_socket or "")),
        ("server-unix-socket-mode", q(format(config.server_unix_socket_mode, "o"))),
        ("admin-server-host", q(config.admin_server_host)),
        (
            "admin-server-port",
            '""' if config.admin_server_port is None else str(config.admin_server_port),
        ),
        *((name, q(REDACTED)) for name, _ in config.app_settings),
    ]
    return "".join(f"{key} = {value}\n" for key, value in lines).encode()


def jsonable(value: Any) -> Any:
    """The schema cache as plain JSON: dataclasses as objects, (schema, name) keys as
    "schema.name", sets sorted."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {
            ".".join(str(p) for p in k) if isinstance(k, tuple) else str(k): jsonable(v)
            for k, v in value.items()
        }
    if isinstance(value, frozenset | set):
        return sorted(jsonable(v) for v in value)
    if isinstance(value, tuple | list):
        return [jsonable(v) for v in value]
    return value

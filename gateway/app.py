"""The ASGI application: the only module that knows the order of the stages.

auth → request → plan → query → tx → response, each timed (Server-Timing when
server-timing-enabled). The lifespan starts the asyncpg pool and the schema cache and
closes them. Health (`<root>/live`, `<root>/health`, `<root>/ready`) and `/metrics` are
answered here. Unexpected exceptions become a generic 500 in PostgREST's shape and a log line.

Every request has an id: the client's X-Request-Id, or a new one. It is echoed in the
response (taproot-request-id-echo: `taproot up` turns it on), forwarded upstream by the
proxy, set as the request.id GUC of the transaction,
and carried by every log record of the request (taproot/logs.py) with the W3C
traceparent and the user id; one `gateway.request` line per request says how it ended
(5xx at error, 4xx at warn, the rest at info: PostgREST's log-level semantics).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import json
import logging
import os
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import asyncpg

import telemetry
from gateway import errors, openapi, plan, query, request, response, shape_memo
from gateway._sql import query as named_query
from gateway.admin import AdminServer
from gateway.auth import Authenticator
from gateway.config import Config
from gateway.dbconfig import ConfigReloader
from gateway.errors import ApiError
from gateway.media import NoPostgis
from gateway.metrics import Metrics, route_class
from gateway.proxy import Proxy
from gateway.query import ident
from gateway.realtime import Realtime
from gateway.response import Response
from gateway.schema_cache import Reloader
from gateway.tx import Context, Database
from ratelimit.gateway import FrontDoor
from taproot import logs

log = logging.getLogger("gateway")
access_log = logging.getLogger("gateway.request")
query_log = logging.getLogger("gateway.query")
# log-query = "main-query": the request's main statement, logged with its request line
_MAIN_QUERY: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "taproot_main_query", default=None
)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

_JSON = [(b"content-type", b"application/json")]
PLAN_CACHE_SIZE = 1024
_REQUEST_ID = logs.REQUEST_ID_HEADER.encode()
_TRACEPARENT = logs.TRACEPARENT_HEADER.encode()
_MADE_UP = "taproot.request_id_made_up"


class App:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.db = Database(config)
        self.auth = Authenticator(config)
        self.reloader = Reloader(
            self.db.connect,
            config.db_schemas,
            config.db_channel if config.db_channel_enabled else None,
        )
        self.metrics = Metrics()
        self.proxy = Proxy(*config.taproot_proxy) if config.taproot_proxy else None
        self.realtime = Realtime(config, self.db, self.auth) if config.realtime else None
        # rate limits and abuse guards around every route (docs/rate-limits.md)
        self.door = (
            None
            if not config.limits.active
            else FrontDoor(
                config.limits,
                db_uri=config.db_uri,
                root=config.server_root_path,
                authenticate=self.auth.authenticate,
                anon_role=config.db_anon_role,
                max_body=config.server_max_body_bytes,
                untimed=self.proxy.matches if self.proxy is not None else None,
            )
        )
        # db-config and 'reload config' (dbconfig.py); the admin server (admin.py)
        self.dbconfig = ConfigReloader(self.db.connect, lambda: self.config, self.apply_config)
        self.admin = AdminServer(self) if config.admin_server_port is not None else None
        self._functions_of: Any = None  # the schema cache the function settings belong to
        self.root = config.server_root_path
        self.metrics.instrument(
            self.db,
            self.reloader,
            self.realtime.hub if self.realtime is not None else None,
            self.door,
            db_uri=config.db_uri,
        )
        self.timing = config.server_timing_enabled
        self.max_body = config.server_max_body_bytes
        self.cors_origins = frozenset(config.server_cors_allowed_origins)
        self.trace_header = (
            config.server_trace_header.encode("latin-1") if config.server_trace_header else None
        )
        self._ready_sql = (
            f"SELECT {'.'.join(ident(p) for p in config.ready.function)}($1::jsonb)"
            if config.ready.function
            else None
        )
        self._ready_args = json.dumps(dict(config.ready.args))
        self._probe_client: Any = None
        self._accessible_rel = named_query("tx", "accessible_relations")
        self._accessible_fn = named_query("tx", "accessible_functions")
        # (method, path, query, negotiation headers) → (schema cache, request, plan, SQL)
        self._plans: dict[tuple[Any, ...], tuple[Any, ...]] = {}
        # the same with simple filter values masked (gateway/shape_memo.py) → (schema
        # cache, request, plan, SQL, where the values go in the SQL's parameters)
        self._shapes: dict[tuple[Any, ...], tuple[Any, ...]] = {}

    # --- ASGI -------------------------------------------------------------------------
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._measured(scope, receive, send)
        elif kind == "lifespan":
            await self._lifespan(receive, send)

    async def _measured(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Every answer counted and timed by route class, method and status (metrics.py)."""
        started = time.perf_counter()
        status = 0

        async def sent(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self._http(scope, receive, sent)
        finally:
            path: str = scope["path"]
            route = route_class(
                path,
                self.root,
                proxied=self.proxy is not None and self.proxy.matches(path),
                realtime=self.realtime is not None and self.realtime.matches(path),
            )
            self.metrics.observe(route, scope["method"], status, time.perf_counter() - started)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await self.startup()
                except Exception as exc:
                    log.exception("gateway start-up failed")
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.shutdown()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def startup(self) -> None:
        await self.metrics.start()
        if self.config.db_config:  # before the pool and the schema cache use the settings
            self._configure(await self.dbconfig.load(self.config))
        await self.db.start()
        await self.reloader.start()
        config = self.config
        await self.dbconfig.start(config.db_channel if config.db_channel_enabled else None)
        if self.realtime is not None:
            await self.realtime.start()
        if self.admin is not None:
            await self.admin.start()
        if self.reloader.cache is None:
            log.error("serving 503 PGRST002 until the schema cache loads")

    async def shutdown(self) -> None:
        if self.admin is not None:
            await self.admin.close()
        await self.dbconfig.close()
        await self.metrics.close()
        if self.door is not None:
            await self.door.close()
        if self.realtime is not None:
            await self.realtime.close()
        if self.proxy is not None:
            await self.proxy.close()
        if self._probe_client is not None:
            await self._probe_client.aclose()
        await self.reloader.close()
        await self.db.close()
        log.info("gateway stopped: pools closed")

    def _configure(self, config: Config) -> None:
        """Take `config` (db-config at start-up, or a reload) in every stage that reads it."""
        self.config = config
        self.db.configure(config)
        self.auth.configure(config)
        # the reloader's exposed schemas (db-schemas is reloadable); it has no setter
        setattr(self.reloader, "_schemas", config.db_schemas)  # noqa: B010
        self.timing = config.server_timing_enabled
        self.cors_origins = frozenset(config.server_cors_allowed_origins)
        self.trace_header = (
            config.server_trace_header.encode("latin-1") if config.server_trace_header else None
        )
        self._plans.clear()

    async def apply_config(self, config: Config) -> None:
        """A reloaded configuration: applied, then the schema cache reloaded with it."""
        self._configure(config)
        await self.reloader.reload()

    # --- HTTP -------------------------------------------------------------------------
    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        given: bytes | None = None
        traceparent: bytes | None = None
        for key, value in scope["headers"]:
            if key == _REQUEST_ID:
                given = value
            elif key == _TRACEPARENT:
                traceparent = value
        rid = logs.accept_request_id(given.decode("latin-1") if given is not None else None)
        if given is None or given.decode("latin-1") != rid:
            # the pipeline (request.headers), the proxy and the sidecar see the same id
            headers = [(k, v) for k, v in scope["headers"] if k != _REQUEST_ID]
            headers.append((_REQUEST_ID, rid.encode("latin-1")))
            scope["headers"] = headers
            scope[_MADE_UP] = True  # not the client's: server-trace-header does not echo it
        context = logs.RequestContext(
            rid,
            logs.accept_traceparent(traceparent.decode("latin-1") if traceparent else None),
        )
        token = logs.bind(context)
        query_token = _MAIN_QUERY.set(None)
        status = 0
        echo = rid.encode("latin-1") if self.config.request_id_echo else None

        async def tagged(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                out = message.setdefault("headers", [])
                if echo is not None and not any(k.lower() == _REQUEST_ID for k, _ in out):
                    message["headers"] = [*out, (_REQUEST_ID, echo)]
            await send(message)

        try:
            if self.door is None:
                await self._serve(scope, receive, tagged)
            else:
                await self.door(scope, receive, tagged, self._serve)
        finally:
            level = (
                logging.ERROR
                if status >= 500 or status == 0
                else logging.WARNING
                if status >= 400
                else logging.INFO
            )
            if access_log.isEnabledFor(level):
                ms = (time.perf_counter() - started) * 1000
                method, path = scope.get("method"), scope.get("path")
                access_log.log(
                    level,
                    "%s %s %s %.1f ms",
                    method,
                    path,
                    status or "-",
                    ms,
                    extra={
                        "method": method,
                        "route": path,
                        "status": status or None,
                        "duration_ms": round(ms, 2),
                    },
                )
            main_query = _MAIN_QUERY.get()
            if main_query is not None and query_log.isEnabledFor(level):
                query_log.log(level, "%s", main_query, extra={"query": main_query})
            _MAIN_QUERY.reset(query_token)
            logs.reset(token)

    async def _serve(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.proxy is not None and self.proxy.matches(scope["path"]):
            # before the API pipeline: the upstream answers (CORS included) as it sees fit
            await self.proxy.handle(scope, receive, send)
            return
        origin = _header(scope, b"origin")
        allowed = self.cors_origins
        if origin is not None and allowed and origin not in allowed:
            origin = None  # an origin not listed gets no CORS headers at all
        try:
            if origin is not None and scope["method"] == "OPTIONS":
                preflight = cors_preflight(scope, origin if allowed else None)
                if preflight is not None:
                    await _send(send, preflight, scope)
                    return
            if self.realtime is not None and self.realtime.matches(scope["path"]):
                # a stream, not a Response: errors before it starts come back as ApiError
                cors = [] if origin is None else _cors_origin(origin if allowed else None)
                await self.realtime.handle(scope, receive, send, cors)
                return
            resp = await self._route(scope, receive)
        except ApiError as err:
            resp = response.error_response(err)
        except Exception:
            log.exception("unexpected error on %s %s", scope.get("method"), scope.get("path"))
            resp = response.error_response(errors.internal())
        if origin is not None:
            resp.headers = [h for h in resp.headers if h[0] != b"access-control-allow-origin"]
            resp.headers += _cors_origin(origin if allowed else None)
            resp.headers.append((b"access-control-expose-headers", CORS_EXPOSED))
        if self.trace_header is not None:
            trace = _header(scope, self.trace_header)
            if trace is not None and not (self.trace_header == _REQUEST_ID and _MADE_UP in scope):
                resp.headers.append((self.trace_header, trace.encode("latin-1")))
        await _send(send, resp, scope)

    async def _route(self, scope: Scope, receive: Receive) -> Response:
        path: str = scope["path"]
        if path == "/metrics":
            # every process of the group (telemetry); the limiter's counts are sampled
            body = await self.metrics.render()
            return Response(200, [(b"content-type", telemetry.CONTENT_TYPE.encode())], body)
        root = self.root
        if root:
            if path == root or path.startswith(root + "/"):
                path = path[len(root) :] or "/"
            else:
                raise errors.invalid_path()
        if path == "/live":
            return self._live()
        if path == "/health":
            return await self._health()
        if path == "/ready":
            return await self._ready()
        if path == "/" and self.config.db_root_spec and scope["method"] in ("GET", "HEAD"):
            return await self._root_spec(scope, receive, self.config.db_root_spec[-1])
        return await self._api(scope, receive, path)

    async def _root_spec(self, scope: Scope, receive: Receive, name: str) -> Response:
        """db-root-spec: GET / answers the function's result, called as GET /rpc/<name> in
        the request's schema (PostgREST takes the function's name, not its schema);
        `Accept: application/openapi+json` gets that Content-Type."""
        accept = (_header(scope, b"accept") or "*/*").lower()
        # the root's own media type unless the client asks for plain JSON
        openapi_wanted = "application/openapi+json" in accept or accept.strip() == "*/*"
        headers = [(k, v) for k, v in scope["headers"] if k != b"accept"]
        headers.append((b"accept", b"application/json"))
        resp = await self._api({**scope, "headers": headers}, receive, f"/rpc/{name}")
        if openapi_wanted and resp.status == 200:
            resp.headers = [h for h in resp.headers if h[0] != b"content-type"]
            resp.headers.append((b"content-type", plan.CONTENT_TYPES["openapi"]))
        return resp

    async def _health(self) -> Response:
        """Liveness with detail: the process answers; no database (that is /ready's job)."""
        cache = self.reloader.cache
        body: dict[str, Any] = {
            "status": "ok",
            "schema_cache": {
                "loaded": cache is not None,
                "age_seconds": round(time.time() - cache.loaded_at, 3) if cache else None,
                "last_error": self.reloader.last_error,
            },
            "pool": self.db.pool_stats(),
        }
        return Response(200, list(_JSON), json.dumps(body).encode())

    def _live(self) -> Response:
        """Liveness: the process answers; no database, never anything but 200."""
        body = {"status": "ok", "pid": os.getpid()}
        return Response(200, list(_JSON), json.dumps(body).encode())

    async def _ready(self) -> Response:
        """Readiness: every check passes (docs/operations.md, "Health"), else 503 and why."""
        cache = self.reloader.cache
        loaded = cache is not None
        if not loaded:
            self.reloader.request_reload()
        ready = self.config.ready
        probes = [self._probe(name, url, ready.timeout) for name, url in ready.probes]
        database, found = await self._ready_database(ready.timeout)
        checks: dict[str, Any] = {
            "database": database,
            "schema_cache": {
                "ok": loaded,
                "age_seconds": round(time.time() - cache.loaded_at, 3) if cache else None,
                "last_error": self.reloader.last_error,
            },
            **found,
        }
        for name, outcome in zip(ready.probes, await asyncio.gather(*probes), strict=True):
            checks[name[0]] = outcome
        ok = all(bool(c.get("ok")) for c in checks.values())
        body = {
            "status": "ready" if ok else "not ready",
            "schema_cache": loaded,
            "database": "ok" if database["ok"] else "unavailable",
            "failing": [name for name, c in checks.items() if not c.get("ok")],
            "checks": checks,
        }
        return Response(200 if ok else 503, list(_JSON), json.dumps(body, default=str).encode())

    async def _ready_database(self, within: float) -> tuple[dict[str, Any], dict[str, Any]]:
        """The database check, and the checks the configured readiness function returns."""
        if self._ready_sql is None:
            ok = await self.db.ping(within)
            return {"ok": ok, "pool": self.db.pool_stats()}, {}
        try:
            value = await self.db.fetch_value(self._ready_sql, self._ready_args, within=within)
        except (
            asyncpg.UndefinedFunctionError,
            asyncpg.InsufficientPrivilegeError,
            asyncpg.InvalidSchemaNameError,
        ) as exc:  # a schema older than the function (or not granted to the login role)
            missing = {
                "ok": False,
                "expected": self.config.ready.args.get("expected_change"),
                "error": str(exc),
                "hint": "deploy the migrations",
            }
            return {"ok": True, "pool": self.db.pool_stats()}, {"schema": missing}
        except Exception as exc:  # down, timed out, or the function failed: not ready
            reason = str(exc) or type(exc).__name__
            return {"ok": False, "error": reason, "pool": self.db.pool_stats()}, {}
        found = json.loads(value) if isinstance(value, str) else value
        if not isinstance(found, dict):
            found = {"readiness_function": {"ok": False, "error": "did not return an object"}}
        checks = {str(k): v if isinstance(v, dict) else {"ok": bool(v)} for k, v in found.items()}
        return {"ok": True, "pool": self.db.pool_stats()}, checks

    async def _probe(self, name: str, url: str, within: float) -> dict[str, Any]:
        """GET `url`: ok on 2xx within the timeout; its JSON body is passed on as detail."""
        import httpx

        if self._probe_client is None:
            self._probe_client = httpx.AsyncClient(timeout=within)
        try:
            answer = await self._probe_client.get(url, headers=logs.outgoing_headers())
        except httpx.HTTPError as exc:
            return {"ok": False, "url": url, "error": str(exc) or type(exc).__name__}
        out: dict[str, Any] = {"ok": answer.is_success, "url": url, "status": answer.status_code}
        with contextlib.suppress(ValueError):
            out["detail"] = answer.json()
        return out

    async def _read_body(self, receive: Receive) -> bytes:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            if chunk:
                size += len(chunk)
                if size > self.max_body:
                    raise ApiError(
                        413,
                        "PGRST102",
                        "Payload Too Large",
                        f"The request body is limited to {self.max_body} bytes",
                    )
                chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)

    async def _api(self, scope: Scope, receive: Receive, path: str) -> Response:
        timer = _Timer() if self.timing else None
        resp = await self._pipeline(scope, receive, path, timer)
        if timer is not None:
            timer.mark("response")
            resp.headers.append((b"server-timing", timer.header()))
        return resp

    async def _pipeline(  # noqa: PLR0912 - the stages, in order, with the plan memo
        self, scope: Scope, receive: Receive, path: str, timer: _Timer | None
    ) -> Response:
        method: str = scope["method"]
        headers: dict[str, str] = {}
        prefer: list[str] = []
        for raw_name, raw_value in scope["headers"]:
            name = raw_name.decode("latin-1")
            value = raw_value.decode("latin-1")
            if name == "prefer":
                prefer.append(value)
            if name in headers:
                headers[name] += ("; " if name == "cookie" else ", ") + value
            else:
                headers[name] = value
        # 1. auth
        auth = self.auth.authenticate(headers.get("authorization"))
        context = logs.current()
        if context is not None and auth.authenticated:
            context.claims_json = auth.claims_json  # the user id of the request's log lines
        if timer is not None:
            timer.mark("jwt")
        # 2. request (GET/HEAD plans are memoized per URL and negotiation headers)
        query_string: bytes = scope.get("query_string", b"")
        key: tuple[Any, ...] | None = None
        shape_of: tuple[tuple[Any, ...], tuple[str, ...]] | None = None
        if method in ("GET", "HEAD"):
            key = (
                method,
                path,
                query_string,
                headers.get("accept"),
                tuple(prefer),
                headers.get("accept-profile"),
                headers.get("range"),
            )
            hit = self._plans.get(key)
            if hit is not None and hit[0] is self.reloader.cache:
                if timer is not None:
                    timer.mark("parse")
                    timer.mark("plan")
                try:
                    return await self._run(
                        hit[1],
                        hit[2],
                        hit[3],
                        auth=auth,
                        path=path,
                        headers=headers,
                        timer=timer,
                    )
                except ApiError as err:
                    if not self._stale_cache_error(hit[1], err):
                        raise
                    await self.reloader.reload()
                    key = None
                    if timer is not None:
                        timer.reset()
            masked = shape_memo.shape(path, query_string) if key is not None else None
            if key is not None and masked is not None:
                shape_key = (masked[0], *key[3:], method, path)
                found = await self._from_shape(
                    shape_key, masked[1], query_string, auth, path, headers, timer
                )
                if found is not None:
                    return found
                shape_of = (shape_key, masked[1])
        body = await self._read_body(receive) if method in ("POST", "PATCH", "PUT") else b""
        api_req = request.build(
            method, path, query_string, headers, prefer, body, self.config.db_schemas
        )
        if timer is not None:
            timer.mark("parse")
        try:
            return await self._execute(
                api_req, auth, path, headers, timer=timer, key=key, shape_of=shape_of
            )
        except ApiError as err:
            if not self._stale_cache_error(api_req, err):
                raise
            # The catalog changed under the cache (a NOTIFY may be on its way): reload
            # now and answer from the fresh cache, once.
            await self.reloader.reload()
            return await self._execute(api_req, auth, path, headers, timer=timer, key=None)

    async def _from_shape(  # noqa: PLR0917 - what _run needs, and the memo key
        self,
        shape_key: tuple[Any, ...],
        values: tuple[str, ...],
        query_string: bytes,
        auth: Any,
        path: str,
        headers: dict[str, str],
        timer: _Timer | None,
    ) -> Response | None:
        """The answer from the statement memoized for this URL shape with this request's
        filter values (gateway/shape_memo.py); None when there is none (or it went stale)."""
        found = self._shapes.get(shape_key)
        if found is None or found[0] is not self.reloader.cache:
            return None
        if timer is not None:
            timer.mark("parse")
            timer.mark("plan")
        try:
            return await self._run(
                shape_memo.rebind_request(found[1], query_string),
                found[2],
                shape_memo.bind(found[3], found[4], values),
                auth=auth,
                path=path,
                headers=headers,
                timer=timer,
            )
        except ApiError as err:
            if not self._stale_cache_error(found[1], err):
                raise
            await self.reloader.reload()
            self._shapes.pop(shape_key, None)
            if timer is not None:
                timer.reset()
            return None

    def _stale_cache_error(self, req: request.ApiRequest, err: ApiError) -> bool:
        if err.code not in ("42P01", "42883") or isinstance(err, NoPostgis):
            return False
        cache = self.reloader.cache
        return cache is not None and time.time() - cache.loaded_at > 1.0

    async def _execute(
        self,
        api_req: request.ApiRequest,
        auth: Any,
        path: str,
        headers: dict[str, str],
        *,
        timer: _Timer | None,
        key: tuple[Any, ...] | None,
        shape_of: tuple[tuple[Any, ...], tuple[str, ...]] | None = None,
    ) -> Response:
        # 3. plan
        cache = self.reloader.cache
        if cache is None:
            self.reloader.request_reload()
            raise errors.no_schema_cache()
        action = plan.plan(
            api_req,
            cache,
            self.config.db_max_rows,
            self.config.openapi_mode != "disabled",
            self.config.db_aggregates_enabled,
            self.config.db_plan_enabled,
        )
        if action.kind == "info":
            return response.info_response(action.allow)
        if action.kind == "openapi":
            if timer is not None:
                timer.mark("plan")
            ctx = self._context(api_req, auth, path, headers, action.read_only)
            return await self._openapi(api_req, action.headers_only, ctx, headers, timer)
        # 4. query
        statement = query.build(action)
        if key is not None:
            if len(self._plans) >= PLAN_CACHE_SIZE:
                self._plans.pop(next(iter(self._plans)))
            self._plans[key] = (cache, api_req, action, statement)
            at = shape_memo.positions(statement, shape_of[1]) if shape_of else None
            if shape_of is not None and at is not None:
                if len(self._shapes) >= PLAN_CACHE_SIZE:
                    self._shapes.pop(next(iter(self._shapes)))
                self._shapes[shape_of[0]] = (cache, api_req, action, statement, at)
        if timer is not None:
            timer.mark("plan")
        return await self._run(
            api_req, action, statement, auth=auth, path=path, headers=headers, timer=timer
        )

    async def _run(
        self,
        api_req: request.ApiRequest,
        action: plan.ActionPlan,
        statement: query.Statement,
        *,
        auth: Any,
        path: str,
        headers: dict[str, str],
        timer: _Timer | None,
    ) -> Response:
        cache = self.reloader.cache
        if cache is not self._functions_of:  # a reload may have changed SET clauses
            self.db.forget_functions()
            self._functions_of = cache
        ctx = self._context(api_req, auth, path, headers, action.read_only)
        if action.call is not None:
            ctx.function_oid = action.call.function.oid
        if self.config.log_query:
            _MAIN_QUERY.set(statement.sql)
        if action.explain is not None:
            ctx.rollback = True
            result = await self.db.run(ctx, api_req.schema, statement, explain=action.explain.sql())
            if timer is not None:
                timer.mark("transaction")
            return Response(
                200, [(b"content-type", action.explain.content_type())], result.body or b""
            )
        # 5. transaction
        count = action.count
        result = await self.db.run(
            ctx,
            api_req.schema,
            statement,
            singular=action.media == "object",
            planned_count=count in ("planned", "estimated"),
            estimated_limit=self.config.db_max_rows if count == "estimated" else None,
            max_affected=(
                api_req.prefer.max_affected
                if action.kind in ("mutate", "call") and api_req.prefer.handling == "strict"
                else None
            ),
        )
        if timer is not None:
            timer.mark("transaction")
        # 6. response
        respond = response.mutate_response if action.kind == "mutate" else response.read_response
        return respond(api_req, action, result, self._tx_override_applied(api_req))

    def _tx_override_applied(self, req: request.ApiRequest) -> bool:
        return self.config.db_tx_end.endswith("allow-override")

    def _context(
        self,
        req: request.ApiRequest,
        auth: Any,
        path: str,
        headers: dict[str, str],
        read_only: bool,
    ) -> Context:
        tx_end = self.config.db_tx_end
        rollback = tx_end.startswith("rollback")
        if tx_end.endswith("allow-override") and req.prefer.tx is not None:
            rollback = req.prefer.tx == "rollback"
        timezone = req.prefer.timezone
        guc_headers = {k: v for k, v in headers.items() if k != "cookie"}
        return Context(
            role=auth.role,
            claims_json=auth.claims_json,
            method=req.method,
            path=path,
            headers_json=json.dumps(guc_headers, ensure_ascii=False),
            cookies_json=json.dumps(
                request.parse_cookies(headers.get("cookie")), ensure_ascii=False
            ),
            authenticated=auth.authenticated,
            read_only=read_only,
            rollback=rollback,
            timezone=timezone,
            request_id=headers.get("x-request-id", ""),
        )

    async def _openapi(
        self,
        req: request.ApiRequest,
        headers_only: bool,
        ctx: Context,
        headers: dict[str, str],
        timer: _Timer | None = None,
    ) -> Response:
        cache = self.reloader.cache
        assert cache is not None
        tables: set[str] | None = None
        functions: set[int] | None = None
        if self.config.openapi_mode == "follow-privileges":
            rel_sql, fn_sql = self._accessible_rel, self._accessible_fn

            async def body(conn: asyncpg.Connection) -> tuple[set[str], set[int]]:
                rels = await conn.fetch(rel_sql, req.schema)
                fns = await conn.fetch(fn_sql, req.schema)
                return {r["name"] for r in rels}, {r["oid"] for r in fns}

            tables, functions = await self.db.transaction(ctx, req.schema, body)
        if timer is not None:
            timer.mark("transaction")
        doc = openapi.build(
            cache,
            req.schema,
            self.config,
            accessible_tables=tables,
            accessible_functions=functions,
            host=headers.get("host"),
            schema_description=cache.schema_descriptions.get(req.schema),
        )
        return response.openapi_response(req, doc, headers_only)


class _Timer:
    """Stage durations for Server-Timing, as PostgREST's: `name;dur=<ms, 1 decimal>`."""

    __slots__ = ("last", "marks")

    def __init__(self) -> None:
        self.last = time.perf_counter()
        self.marks: list[tuple[str, float]] = []

    def mark(self, stage: str) -> None:
        now = time.perf_counter()
        self.marks.append((stage, (now - self.last) * 1000))
        self.last = now

    def reset(self) -> None:
        self.marks = [m for m in self.marks if m[0] == "jwt"]

    def header(self) -> bytes:
        return ", ".join(f"{name};dur={ms:.1f}" for name, ms in self.marks).encode()


# CORS as PostgREST configures wai-cors: any origin, these methods and exposed headers.
CORS_EXPOSED = (
    b"Content-Encoding, Content-Location, Content-Range, Content-Type, "
    b"Date, Location, Server, Transfer-Encoding, Range-Unit"
)
CORS_METHODS = b"GET, POST, PATCH, PUT, DELETE, OPTIONS, HEAD"


Headers = list[tuple[bytes, bytes]]


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


def _cors_origin(origin: str | None) -> Headers:
    """`*`, or a listed origin echoed with credentials allowed (server-cors-allowed-origins)."""
    if origin is None:
        return [(b"access-control-allow-origin", b"*")]
    return [
        (b"access-control-allow-origin", origin.encode("latin-1")),
        (b"access-control-allow-credentials", b"true"),
    ]


def cors_preflight(scope: Scope, origin: str | None = None) -> Response | None:
    """A preflight (OPTIONS with Access-Control-Request-Method) is answered before auth."""
    if _header(scope, b"access-control-request-method") is None:
        return None
    requested = _header(scope, b"access-control-request-headers") or ""
    names = [h.strip() for h in requested.split(",") if h.strip()]
    allow = ", ".join(["Authorization", *names, "Accept", "Accept-Language", "Content-Language"])
    return Response(
        200,
        [
            *_cors_origin(origin),
            (b"access-control-allow-methods", CORS_METHODS),
            (b"access-control-allow-headers", allow.encode("latin-1")),
            (b"access-control-max-age", b"86400"),
        ],
    )


async def _send(send: Send, resp: Response, scope: Scope) -> None:
    if scope.get("method") == "HEAD":
        body = b""
    else:
        body = resp.body
        resp.headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": resp.status, "headers": resp.headers})
    await send({"type": "http.response.body", "body": body})


def create_app(config: Config) -> App:
    """The ASGI application for `config`; uvicorn drives its lifespan."""
    return App(config)

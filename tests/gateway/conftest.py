"""Fixtures for the gateway's HTTP spec suite: a fixture database and live gateways.

`gateway_spec` is built once per session from fixtures/*.sql. `gateway` is a gateway
served by uvicorn on a free port in a background thread, configured as a PostgREST
operator would (PGRST_* keys). `start_gateway(...)` starts further gateways with other
settings (db-max-rows, jwt-aud, JWKS, no anon role, a dead database…), one per distinct
configuration, shared for the session.
"""

from __future__ import annotations

import importlib
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jwt as pyjwt
import psycopg
import pytest
import requests

from taproot.cluster import free_port
from taproot.database import Database

FIXTURES = Path(__file__).parent / "fixtures"
# Load order matters: roles before grants, tables before the functions returning them.
FIXTURE_FILES = (
    "roles.sql",
    "schema.sql",
    "rpc.sql",
    "errors.sql",
    "auth.sql",
    "identifiers.sql",
    "time.sql",
    "data.sql",
    "embed.sql",
    "embed_targets.sql",
    "writes.sql",
    "writes_computed.sql",
    "media.sql",
    "privileges.sql",
)
DB_NAME = "gateway_spec"
SCHEMAS = "test,v2"
ANON_ROLE = "gw_anon"
JWT_SECRET = "reallyreallyreallyreallyverysafe-taproot-spec"
DEFAULT_MAX_ROWS = "1000"

GatewayFactory = Callable[..., "Gateway"]


@dataclass
class Gateway:
    """A running gateway: its base URL and a requests session to talk to it."""

    url: str
    session: requests.Session = field(default_factory=requests.Session)

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", 30)
        kwargs.setdefault("allow_redirects", False)
        return self.session.request(method, self.url + path, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def head(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("HEAD", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def options(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("OPTIONS", path, **kwargs)


def socket_url(db: Database, *, user: str, dbname: str) -> str:
    """A libpq URL for `user` on `dbname` through the same socket/host as `db`."""
    parts = psycopg.conninfo.conninfo_to_dict(db.url)
    host = str(parts.get("host") or "")
    port = str(parts.get("port") or 5432)
    if host.startswith("/"):
        return f"postgresql://{user}@/{dbname}?host={quote(host, safe='/')}&port={port}"
    return f"postgresql://{user}@{host or 'localhost'}:{port}/{dbname}"


def dead_db_url() -> str:
    """A URL to a port where nothing listens: the database is 'down'."""
    return f"postgresql://gw_authenticator@127.0.0.1:{free_port()}/{DB_NAME}"


def mint_jwt(
    claims: Mapping[str, Any],
    *,
    secret: str | bytes | Any = JWT_SECRET,
    algorithm: str = "HS256",
    headers: Mapping[str, Any] | None = None,
) -> str:
    """Sign `claims` as a compact JWS (HS256 with the spec secret unless told otherwise)."""
    return pyjwt.encode(dict(claims), secret, algorithm=algorithm, headers=dict(headers or {}))


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def user_headers(role: str = "gw_user", **claims: Any) -> dict[str, str]:
    """Authorization for a signed-in role, with a short valid expiry."""
    return bearer(mint_jwt({"role": role, "exp": int(time.time()) + 300, **claims}))


class _ServerThread:
    """uvicorn serving one app on 127.0.0.1 from a daemon thread."""

    def __init__(self, app: Any) -> None:
        import uvicorn

        self.port = free_port()
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, lifespan="on", log_level="warning"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="gateway", daemon=True)

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if not self.thread.is_alive():
                raise RuntimeError("the gateway stopped during start-up (see the log above)")
            if time.monotonic() > deadline:
                raise RuntimeError("the gateway did not start within 30 s")
            time.sleep(0.02)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)


def _build_app(settings: Mapping[str, str]) -> Any:
    # Imported by name: the engine is written alongside this suite and its types may move.
    config = importlib.import_module("gateway.config")
    app = importlib.import_module("gateway.app")
    return app.create_app(config.load(dict(settings)))


def build_fixture_db(pg_server: Database, name: str) -> Database:
    """(Re)create database `name` from fixtures/*.sql; roles are created if missing."""
    pg_server.drop(name)
    with pg_server.connect() as conn:
        conn.execute((FIXTURES / "roles.sql").read_text())
    pg_server.create(name)
    db = pg_server.with_name(name)
    with db.connect() as conn:
        for fixture in FIXTURE_FILES:
            conn.execute((FIXTURES / fixture).read_text())
    return db


@pytest.fixture(scope="session")
def spec_db(pg_server: Database) -> Iterator[Database]:
    """Database `gateway_spec` built from fixtures/*.sql, dropped at session end."""
    db = build_fixture_db(pg_server, DB_NAME)
    yield db
    pg_server.drop(DB_NAME)


@pytest.fixture(scope="session")
def base_settings(spec_db: Database) -> dict[str, str]:
    """PGRST_* settings of the default gateway; factories override from here."""
    return {
        "PGRST_DB_URI": socket_url(spec_db, user="gw_authenticator", dbname=DB_NAME),
        "PGRST_DB_SCHEMAS": SCHEMAS,
        "PGRST_DB_ANON_ROLE": ANON_ROLE,
        "PGRST_JWT_SECRET": JWT_SECRET,
        "PGRST_DB_MAX_ROWS": DEFAULT_MAX_ROWS,
    }


@pytest.fixture(scope="session")
def start_gateway(base_settings: dict[str, str]) -> Iterator[GatewayFactory]:
    """Start (or reuse) a gateway with `base_settings` updated by keyword PGRST_* values.

    A value of None removes the key, e.g. start_gateway(PGRST_DB_ANON_ROLE=None).
    """
    running: dict[tuple[tuple[str, str], ...], tuple[_ServerThread, Gateway]] = {}

    def start(**overrides: str | None) -> Gateway:
        settings = dict(base_settings)
        for name, value in overrides.items():
            if value is None:
                settings.pop(name, None)
            else:
                settings[name] = value
        key = tuple(sorted(settings.items()))
        if key not in running:
            server = _ServerThread(_build_app(settings))
            server.start()
            running[key] = (server, Gateway(f"http://127.0.0.1:{server.port}"))
        return running[key][1]

    yield start
    for server, gw in running.values():
        gw.session.close()
        server.stop()


@pytest.fixture(scope="session")
def gateway(start_gateway: GatewayFactory) -> Gateway:
    """The default gateway (schemas test,v2; anon gw_anon; HS256 secret; max rows 1000)."""
    return start_gateway()


@pytest.fixture(scope="session")
def gateway_url(gateway: Gateway) -> str:
    return gateway.url


@pytest.fixture
def http() -> Iterator[requests.Session]:
    """A fresh requests session (no cookies or headers carried between tests)."""
    with requests.Session() as session:
        yield session


@pytest.fixture
def api(gateway_url: str, http: requests.Session) -> Gateway:
    """The default gateway with a per-test session: `api.get("/items?id=eq.1")`."""
    return Gateway(gateway_url, http)


@pytest.fixture
def admin_conn(spec_db: Database) -> Iterator[psycopg.Connection[tuple[Any, ...]]]:
    """A superuser autocommit connection to the fixture database, for checks behind the API."""
    with spec_db.connect() as conn:
        yield conn

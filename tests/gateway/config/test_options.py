"""db-root-spec, db-hoisted-tx-settings, app.settings.*, log-query and jwt-cache-max-lifetime
against a live gateway (schema cfg, see _cfg.py), with the bodies and headers PostgREST gives.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest

from gateway.auth import Authenticator
from gateway.config import load
from gateway.errors import ApiError
from taproot.database import Database
from tests.gateway.config._cfg import running, settings
from tests.gateway.conftest import JWT_SECRET, mint_jwt, user_headers
from tests.gateway.spec._http import JSON_CT, OPENAPI_CT, assert_json


def test_root_spec_function_answers_the_root(cfg_db: Database) -> None:
    with running(settings(cfg_db, PGRST_DB_ROOT_SPEC="cfg.root")) as gw:
        doc = {"swagger": "2.0", "info": {"title": "Custom root"}}
        openapi = gw.get("/", headers={"Accept": "application/openapi+json"})
        assert_json(openapi, 200, doc, content_type=OPENAPI_CT)
        plain = gw.get("/", headers={"Accept": "application/json"})
        assert_json(plain, 200, doc, content_type=JSON_CT)
        assert gw.head("/", headers={"Accept": "application/json"}).status_code == 200
        # the other routes are untouched
        assert gw.get("/rows?id=eq.1").json() == [{"id": 1}]


def test_without_root_spec_the_root_is_the_openapi_document(cfg_db: Database) -> None:
    with running(settings(cfg_db)) as gw:
        assert gw.get("/").json()["swagger"] == "2.0"
        assert "Custom root" not in gw.get("/").text


def test_function_settings_are_hoisted_to_the_transaction(cfg_db: Database) -> None:
    # cfg.pre (db-pre-request) copies the transaction's settings into X-* headers
    with running(settings(cfg_db, PGRST_DB_PRE_REQUEST="cfg.pre")) as gw:
        call = gw.post("/rpc/tuned", json={})
        assert call.status_code == 200, call.text
        # the default list: statement_timeout and the isolation level, not lock_timeout
        assert call.headers["X-Timeout"] == "4s"
        assert call.headers["X-Isolation"] == "serializable"
        assert call.headers["X-Lock-Timeout"] == "0"
        # a read is not a call: nothing is hoisted
        read = gw.get("/rows?id=eq.1")
        assert read.headers["X-Timeout"] == "0"
        assert read.headers["X-Isolation"] == "read committed"


def test_isolation_level_of_the_role_and_of_the_function(cfg_db: Database) -> None:
    reader = user_headers("gw_cfg_reader")
    with running(settings(cfg_db, PGRST_DB_PRE_REQUEST="cfg.pre")) as gw:
        # ALTER ROLE gw_cfg_reader SET default_transaction_isolation = 'repeatable read'
        assert gw.get("/rows?id=eq.1", headers=reader).headers["X-Isolation"] == "repeatable read"
        # the called function's SET clause wins over the role's
        call = gw.post("/rpc/tuned", json={}, headers=reader)
        assert call.headers["X-Isolation"] == "serializable"


def test_the_hoisted_list_is_configurable(cfg_db: Database) -> None:
    env = settings(
        cfg_db, PGRST_DB_PRE_REQUEST="cfg.pre", PGRST_DB_HOISTED_TX_SETTINGS="lock_timeout"
    )
    with running(env) as gw:
        call = gw.post("/rpc/tuned", json={})
        assert call.headers["X-Lock-Timeout"] == "3s"
        assert call.headers["X-Timeout"] == "0"
        # the isolation level comes from the SET clause whatever the list (as PostgREST)
        assert call.headers["X-Isolation"] == "serializable"


def test_a_hoisted_statement_timeout_bounds_the_call(cfg_db: Database) -> None:
    with running(settings(cfg_db)) as gw:
        started = time.monotonic()
        resp = gw.post("/rpc/slow", json={})
        assert resp.status_code == 500
        assert resp.json()["code"] == "57014"
        assert time.monotonic() - started < 0.9
    # not hoisted, the function's own SET comes too late to bound its statement
    with running(settings(cfg_db, PGRST_DB_HOISTED_TX_SETTINGS="lock_timeout")) as gw:
        assert_json(gw.post("/rpc/slow", json={}), 200, 1)


def test_app_settings_are_transaction_settings(cfg_db: Database, tmp_path: Path) -> None:
    conf = tmp_path / "gateway.conf"
    conf.write_text('app.settings.greeting = "hello from the file"\n')
    env = settings(cfg_db, PGRST_DB_PRE_REQUEST="cfg.pre", PGRST_APP_SETTINGS_SHOUT="HEY")
    config = load(env, conf)
    assert config.app_settings == (
        ("app.settings.SHOUT", "HEY"),
        ("app.settings.greeting", "hello from the file"),
    )
    # the environment wins over the file, as for every option
    env["PGRST_APP_SETTINGS_greeting"] = "hello from the environment"
    with running(env) as gw:
        resp = gw.get("/rows?id=eq.1")
        assert resp.headers["X-Greeting"] == "hello from the environment"
        assert resp.headers["X-Shout"] == "HEY"


def test_log_query_logs_the_main_statement(
    cfg_db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="gateway.query"):
        with running(settings(cfg_db, PGRST_LOG_QUERY="main-query")) as gw:
            assert gw.get("/rows?id=eq.2").status_code == 200
        logged = [r for r in caplog.records if r.name == "gateway.query"]
        assert logged, "no main query was logged"
        assert '"cfg"."rows"' in logged[-1].getMessage()
        assert getattr(logged[-1], "query", None) == logged[-1].getMessage()
        caplog.clear()
        with running(settings(cfg_db)) as gw:  # log-query = "disabled", the default
            assert gw.get("/rows?id=eq.2").status_code == 200
        assert not [r for r in caplog.records if r.name == "gateway.query"]


def _authenticator(**env: str) -> Authenticator:
    return Authenticator(load({"PGRST_JWT_SECRET": JWT_SECRET, **env}))


def test_jwt_cache_max_lifetime_bounds_the_cache() -> None:
    token = "Bearer " + mint_jwt({"role": "gw_user", "exp": int(time.time()) + 300})
    uncached = _authenticator()  # 0, the default: every token is validated
    assert uncached.authenticate(token) is not uncached.authenticate(token)
    cached = _authenticator(PGRST_JWT_CACHE_MAX_LIFETIME="1")
    first = cached.authenticate(token)
    assert cached.authenticate(token) is first
    time.sleep(1.1)
    assert cached.authenticate(token) is not first  # validated again after a second


def test_jwt_cache_never_outlives_the_token() -> None:
    # exp + PostgREST's 30 s of clock skew is one second from now
    token = "Bearer " + mint_jwt({"role": "gw_user", "exp": int(time.time()) - 29})
    auth = _authenticator(PGRST_JWT_CACHE_MAX_LIFETIME="3600")
    assert auth.authenticate(token).role == "gw_user"
    time.sleep(1.2)
    with pytest.raises(ApiError) as caught:
        auth.authenticate(token)
    assert caught.value.code == "PGRST303"

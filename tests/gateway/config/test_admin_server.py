"""The admin server (admin-server-port): /live, /ready, /metrics, /config, /schema_cache on a
second listener of the same process, with PostgREST's statuses and config format."""

from __future__ import annotations

import requests

from taproot.cluster import free_port
from taproot.database import Database
from tests.gateway.config._cfg import running, settings
from tests.gateway.conftest import dead_db_url


def test_live_ready_and_unknown_paths(cfg_db: Database) -> None:
    port = free_port()
    with running(settings(cfg_db, PGRST_ADMIN_SERVER_PORT=str(port))) as gw:
        assert gw.app.admin.port == port
        base = f"http://127.0.0.1:{port}"
        live = requests.get(base + "/live", timeout=10)
        assert (live.status_code, live.content) == (200, b"")
        ready = requests.get(base + "/ready", timeout=10)
        assert (ready.status_code, ready.content) == (200, b"")
        assert requests.get(base + "/nope", timeout=10).status_code == 404
        assert requests.post(base + "/live", timeout=10).status_code == 405
        # the API is not served on the admin port, nor the admin routes' bodies on the API
        assert requests.get(base + "/rows", timeout=10).status_code == 404
        assert gw.get("/rows?id=eq.1").json() == [{"id": 1}]
    # stopped with the gateway: nothing listens any more
    try:
        requests.get(base + "/live", timeout=2)
    except requests.ConnectionError:
        pass
    else:
        raise AssertionError("the admin server still answers after shutdown")


def test_ready_is_503_when_the_database_is_down(cfg_db: Database) -> None:
    env = settings(cfg_db, PGRST_DB_URI=dead_db_url(), PGRST_ADMIN_SERVER_PORT="0")
    with running(env) as gw:
        assert gw.admin("/live").status_code == 200
        assert gw.admin("/ready").status_code == 503


def test_metrics_has_postgrest_names(cfg_db: Database) -> None:
    with running(settings(cfg_db, PGRST_ADMIN_SERVER_PORT="0")) as gw:
        assert gw.get("/rows").status_code == 200
        metrics = gw.admin("/metrics")
        assert metrics.status_code == 200
        assert metrics.headers["Content-Type"].startswith("text/plain")
        text = metrics.text
        for name in (
            "pgrst_db_pool_available",
            "pgrst_db_pool_waiting",
            "pgrst_db_pool_max",
            "pgrst_db_pool_timeouts_total",
            'pgrst_schema_cache_loads_total{status="SUCCESS"}',
            "pgrst_schema_cache_query_time_seconds",
            "gateway_requests_total",
        ):
            assert name in text, name


def test_config_is_postgrest_format_with_secrets_redacted(cfg_db: Database) -> None:
    uri = settings(cfg_db)["PGRST_DB_URI"].replace("gw_cfg_auth@", "gw_cfg_auth:s3cret-pw@")
    env = settings(
        cfg_db,
        PGRST_DB_URI=uri,
        PGRST_ADMIN_SERVER_PORT="0",
        PGRST_DB_MAX_ROWS="7",
        PGRST_APP_SETTINGS_api_key="k-123",
    )
    with running(env) as gw:
        resp = gw.admin("/config")
        assert resp.status_code == 200
        text = resp.text
        lines = dict(line.split(" = ", 1) for line in text.splitlines())
        assert lines["db-schemas"] == '"cfg"'
        assert lines["db-max-rows"] == "7"
        assert lines["db-anon-role"] == '"gw_anon"'
        assert lines["db-config"] == "true"
        assert lines["db-hoisted-tx-settings"] == (
            '"statement_timeout,plan_filter.statement_cost_limit,default_transaction_isolation"'
        )
        assert lines["jwt-cache-max-lifetime"] == "0"
        assert lines["log-query"] == '"disabled"'
        assert lines["admin-server-port"] == "0"
        assert lines["server-unix-socket-mode"] == '"660"'
        assert lines["jwt-secret"] == '"********"'
        assert lines["db-uri"].startswith('"postgresql://gw_cfg_auth:********@')
        assert lines["app.settings.api_key"] == '"********"'
        assert "s3cret-pw" not in text and "k-123" not in text
        assert "reallyreally" not in text


def test_schema_cache_dump(cfg_db: Database) -> None:
    with running(settings(cfg_db, PGRST_ADMIN_SERVER_PORT="0")) as gw:
        resp = gw.admin("/schema_cache")
        assert resp.status_code == 200
        assert resp.headers["Content-Type"] == "application/json"
        dump = resp.json()
        assert dump["schemas"] == ["cfg"]
        rows = dump["tables"]["cfg.rows"]
        assert rows["pk"] == ["id"] and rows["columns"]["id"]["type"] == "integer"
        assert "cfg.root" in dump["functions"]


def test_admin_port_cannot_be_the_server_port(cfg_db: Database) -> None:
    from gateway.config import ConfigError, load

    try:
        load(settings(cfg_db, PGRST_SERVER_PORT="3999", PGRST_ADMIN_SERVER_PORT="3999"))
    except ConfigError as exc:
        assert "admin-server-port cannot be the same as server-port" in str(exc)
    else:
        raise AssertionError("the same port for both servers was accepted")

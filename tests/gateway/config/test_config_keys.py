"""The new keys' parsing and validation, and the in-database merge rules (no database)."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway import admin, dbconfig
from gateway.config import HOISTED_DEFAULT, ConfigError, load, rebuild


def test_defaults_are_postgrest_13s() -> None:
    cfg = load({})
    assert cfg.db_config is True and cfg.db_pre_config is None and cfg.db_root_spec is None
    assert cfg.db_hoisted_tx_settings == HOISTED_DEFAULT
    assert cfg.jwt_cache_max_lifetime == 0
    assert cfg.server_unix_socket is None and cfg.server_unix_socket_mode == 0o660
    assert cfg.log_query is False
    assert cfg.admin_server_port is None and cfg.admin_server_host == "!4"
    assert cfg.app_settings == ()


def test_values() -> None:
    cfg = load(
        {
            "PGRST_DB_CONFIG": "false",
            "PGRST_DB_ROOT_SPEC": "api.root",
            "PGRST_DB_PRE_CONFIG": "postgrest.pre_config",
            "PGRST_DB_HOISTED_TX_SETTINGS": "statement_timeout, work_mem",
            "PGRST_JWT_CACHE_MAX_LIFETIME": "3600",
            "PGRST_SERVER_UNIX_SOCKET": "/run/pgrst/pgrst.sock",
            "PGRST_SERVER_UNIX_SOCKET_MODE": "770",
            "PGRST_LOG_QUERY": "main-query",
            "PGRST_SERVER_HOST": "127.0.0.1",
            "PGRST_ADMIN_SERVER_PORT": "3001",
        }
    )
    assert cfg.db_config is False
    assert cfg.db_root_spec == ("api", "root")
    assert cfg.db_pre_config == ("postgrest", "pre_config")
    assert cfg.db_hoisted_tx_settings == ("statement_timeout", "work_mem")
    assert cfg.jwt_cache_max_lifetime == 3600
    assert cfg.server_unix_socket == "/run/pgrst/pgrst.sock"
    assert cfg.server_unix_socket_mode == 0o770
    assert cfg.log_query is True
    # admin-server-host defaults to server-host, as PostgREST's alias
    assert cfg.admin_server_port == 3001 and cfg.admin_server_host == "127.0.0.1"
    assert load({"PGRST_DB_HOISTED_TX_SETTINGS": ""}).db_hoisted_tx_settings == HOISTED_DEFAULT
    assert load({"PGRST_LOG_QUERY": "true"}).log_query is True
    assert load({"PGRST_LOG_QUERY": "disabled"}).log_query is False


@pytest.mark.parametrize(
    ("env", "needle"),
    [
        ({"PGRST_SERVER_UNIX_SOCKET_MODE": "999"}, "not an octal"),
        ({"PGRST_SERVER_UNIX_SOCKET_MODE": "500"}, "between 600 and 777"),
        ({"PGRST_LOG_QUERY": "everything"}, "log-query (env PGRST_LOG_QUERY)"),
        ({"PGRST_JWT_CACHE_MAX_LIFETIME": "-1"}, "PGRST_JWT_CACHE_MAX_LIFETIME"),
        ({"PGRST_ADMIN_SERVER_PORT": "3000"}, "cannot be the same as server-port"),
        ({"PGRST_DB_ROOT_SPEC": "a.b.c"}, "db-root-spec"),
        ({"PGRST_DB_SCHEMAS": "api, pg_catalog"}, "does not allow schema: 'pg_catalog'"),
    ],
)
def test_bad_values_name_the_option(env: dict[str, str], needle: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load(env)
    assert needle in str(caught.value)


def test_app_settings_from_file_and_environment(tmp_path: Path) -> None:
    conf = tmp_path / "gw.conf"
    conf.write_text('app.settings.jwt_secret = "from-file"\napp.settings.name = "demo"\n')
    cfg = load({"PGRST_APP_SETTINGS_name": "from-env"}, conf)
    assert dict(cfg.app_settings) == {
        "app.settings.jwt_secret": "from-file",
        "app.settings.name": "from-env",
    }


def test_database_overrides_only_its_options() -> None:
    values = {"db-schemas": "api", "db-pool": "10", "db-max-rows": ""}
    merged = dbconfig.merge(values, {"db-schemas": "v2", "db-pool": "99", "db-max-rows": "5"})
    assert merged == {"db-schemas": "v2", "db-pool": "10", "db-max-rows": "5"}
    assert dbconfig.setting_name("db-schemas") == "pgrst.db_schemas"
    assert dbconfig.option_name("db_max_rows") == "db-max-rows"


def test_a_reload_keeps_what_needs_a_restart() -> None:
    running = load({"PGRST_DB_TX_END": "commit", "PGRST_DB_POOL": "10"})
    values = dict(running.raw, **{"db-tx-end": "rollback", "db-pool": "3", "db-max-rows": "9"})
    values["app.settings.x"] = "y"
    fresh = rebuild(running, dbconfig.keep_running(running, values))
    assert fresh.db_tx_end == "commit" and fresh.db_pool == 10
    assert fresh.db_max_rows == 9 and fresh.app_settings == (("app.settings.x", "y"),)
    assert fresh.sources == running.sources


def test_redactions() -> None:
    assert admin.redact_uri("postgresql://u:pw@h:5/db?x=1") == "postgresql://u:********@h:5/db?x=1"
    assert admin.redact_uri("postgresql://u@/db?host=/run") == "postgresql://u@/db?host=/run"
    text = admin.config_text(load({"PGRST_JWT_SECRET": "s" * 32, "PGRST_DB_MAX_ROWS": "3"}))
    assert b'jwt-secret = "********"\n' in text and b"db-max-rows = 3\n" in text
    assert b'jwt-secret = ""\n' in admin.config_text(load({}))


def test_jsonable() -> None:
    assert admin.jsonable({("a", "b"): frozenset({2, 1}), "k": (1, [2])}) == {
        "a.b": [1, 2],
        "k": [1, [2]],
    }

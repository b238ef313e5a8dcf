"""Configuration: PostgREST's names, file syntax, env precedence and clear errors."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from gateway.config import ConfigError, load, parse_file, parse_role_claim_key

SECRET = "x" * 32


def test_defaults() -> None:
    cfg = load({})
    assert cfg.db_schemas == ("public",)
    assert cfg.db_pool == 10 and cfg.db_max_rows is None
    assert cfg.server_root_path == "" and cfg.server_workers == 1
    assert cfg.jwt_role_claim_key == ("role",)


def test_env_over_file(tmp_path: Path) -> None:
    f = tmp_path / "gw.conf"
    f.write_text(
        '# comment\ndb-uri = "postgres://a@/b?host=/tmp"\ndb-schemas = "api, v2"\n'
        "db-max-rows = 100 # trailing\nserver-port = 4000\n"
    )
    cfg = load({"PGRST_SERVER_PORT": "5000", "PGRST_SERVER_ROOT_PATH": "/api/"}, f)
    assert cfg.db_uri == "postgres://a@/b?host=/tmp"
    assert cfg.db_schemas == ("api", "v2") and cfg.default_schema == "api"
    assert cfg.db_max_rows == 100
    assert cfg.server_port == 5000
    assert cfg.server_root_path == "/api"


@pytest.mark.parametrize(
    ("env", "needle"),
    [
        ({"PGRST_DB_POOL": "many"}, "PGRST_DB_POOL"),
        ({"PGRST_SERVER_PORT": "70000"}, "server-port"),
        ({"PGRST_DB_TX_END": "sometimes"}, "db-tx-end"),
        ({"PGRST_JWT_SECRET": "short"}, "at least 32"),
        ({"PGRST_SERVER_ROOT_PATH": "api"}, "server-root-path"),
        ({"PGRST_DB_URI": "mysql://x"}, "PGRST_DB_URI"),
        ({"PGRST_JWT_ROLE_CLAIM_KEY": "role"}, "jwt-role-claim-key"),
        ({"PGRST_OPENAPI_MODE": "yes"}, "openapi-mode"),
        ({"PGRST_SERVER_TIMING_ENABLED": "maybe"}, "server-timing-enabled"),
        ({"PGRST_DB_PRE_REQUEST": "a.b.c"}, "db-pre-request"),
    ],
)
def test_invalid_values_name_the_option(env: dict[str, str], needle: str) -> None:
    with pytest.raises(ConfigError, match=needle.replace("-", ".")):
        load(env)


def test_file_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load({}, tmp_path / "missing.conf")
    with pytest.raises(ConfigError, match="cannot parse"):
        parse_file("this is not a setting")
    with pytest.raises(ConfigError, match="unterminated"):
        parse_file('db-uri = "abc')


def test_secrets() -> None:
    assert load({"PGRST_JWT_SECRET": SECRET}).jwt_secret == SECRET.encode()
    encoded = base64.b64encode(b"k" * 40).decode()
    cfg = load({"PGRST_JWT_SECRET": encoded, "PGRST_JWT_SECRET_IS_BASE64": "true"})
    assert cfg.jwt_secret == b"k" * 40
    jwk = {"kty": "RSA", "n": "abc", "e": "AQAB"}
    cfg = load({"PGRST_JWT_SECRET": json.dumps(jwk)})
    assert cfg.jwt_jwks == {"keys": [jwk]} and cfg.jwt_secret is None
    cfg = load({"PGRST_JWT_SECRET": json.dumps({"keys": [jwk]})})
    assert cfg.jwt_jwks == {"keys": [jwk]}


def test_role_claim_key_paths() -> None:
    assert parse_role_claim_key('."https://x.io/claims".roles[0]') == (
        "https://x.io/claims",
        "roles",
        0,
    )
    assert parse_role_claim_key(".app_metadata.role") == ("app_metadata", "role")


def test_pre_request_and_misc() -> None:
    cfg = load(
        {
            "PGRST_DB_PRE_REQUEST": "api.check",
            "PGRST_DB_ANON_ROLE": "anon",
            "PGRST_DB_EXTRA_SEARCH_PATH": "extensions, public",
            "PGRST_SERVER_WORKERS": "2",
            "PGRST_LOG_LEVEL": "info",
        }
    )
    assert cfg.db_pre_request == ("api", "check")
    assert cfg.db_anon_role == "anon"
    assert cfg.db_extra_search_path == ("extensions", "public")
    assert cfg.server_workers == 2 and cfg.log_level == "info"

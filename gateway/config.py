"""Configuration under PostgREST's option names, from its config file syntax and PGRST_* env.

`db-uri = "postgres://…"` in the file, `PGRST_DB_URI` in the environment; the
environment wins, as in PostgREST. Every value is validated here, once, and a bad
one stops start-up with a message naming the option and the variable.
"""

from __future__ import annotations

import base64
import json
import os
import pathlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ratelimit import settings as ratelimit_settings
from ratelimit.secretfiles import SecretFileError, with_files

LOG_LEVELS = ("crit", "error", "warn", "info", "debug")
TX_ENDS = ("commit", "commit-allow-override", "rollback", "rollback-allow-override")
OPENAPI_MODES = ("follow-privileges", "ignore-privileges", "disabled")

# Options whose value is read; anything else in a file is ignored like PostgREST ignores
# the options it knows but that this gateway does not implement (listed in docs/gateway.md).
_DEFAULTS: dict[str, str] = {
    "db-uri": "postgresql://",
    "db-schemas": "public",
    "db-anon-role": "",
    "db-extra-search-path": "public",
    "db-max-rows": "",
    "db-pool": "10",
    "db-pool-acquisition-timeout": "10",
    "db-pre-request": "",
    "db-tx-end": "commit",
    "db-channel": "pgrst",
    "db-channel-enabled": "true",
    "db-prepared-statements": "true",
    "db-aggregates-enabled": "false",
    "jwt-secret": "",
    "jwt-secret-is-base64": "false",
    "jwt-aud": "",
    "jwt-role-claim-key": ".role",
    "openapi-mode": "follow-privileges",
    "openapi-server-proxy-uri": "",
    "server-host": "!4",
    "server-port": "3000",
    "server-timing-enabled": "false",
    "log-level": "error",
    "server-root-path": "",
    "server-workers": "1",
    "server-max-body-bytes": str(10 * 1024 * 1024),
    "server-trace-header": "",
    "server-cors-allowed-origins": "",
    "db-plan-enabled": "false",
    # in-database configuration and the rest of PostgREST's keys (docs/gateway.md)
    "db-config": "true",
    "db-pre-config": "",
    "db-root-spec": "",
    "db-hoisted-tx-settings": "",
    "jwt-cache-max-lifetime": "0",
    "server-unix-socket": "",
    "server-unix-socket-mode": "660",
    "log-query": "disabled",
    "admin-server-port": "",
    "admin-server-host": "",
    # Taproot's own option (PostgREST has no equivalent): "<path prefix>=<upstream URL>"
    "taproot-proxy": "",
    # Taproot's server-sent events (PostgREST has none; PGRST_REALTIME_* like the others)
    "realtime-enabled": "false",
    "realtime-path": "/realtime",
    "realtime-authorize": "",
    "realtime-feed": "",
    "realtime-channel": "taproot_events",
    "realtime-delta-channel": "taproot_deltas",
    "realtime-role": "",
    "realtime-max-streams": "10000",
    "realtime-max-streams-per-user": "20",
    "realtime-queue-size": "1000",
    "realtime-heartbeat-seconds": "15",
    "realtime-retry-ms": "3000",
    # Taproot's rate limits and abuse guards (docs/rate-limits.md; PGRST_RATE_LIMIT_* …)
    **ratelimit_settings.DEFAULTS,
    # Taproot's readiness checks (docs/operations.md, "Health"): a SQL function called with a
    # JSON object of arguments, and HTTP endpoints that must answer 2xx
    "taproot-ready-function": "",
    "taproot-ready-args": "{}",
    "taproot-expected-change": "",
    "taproot-ready-probes": "",
    "taproot-ready-timeout": "2",
    # idle keep-alive connections are kept this long; SIGTERM drains for this long
    "taproot-keepalive-seconds": "75",
    "taproot-shutdown-timeout": "10",
    # echo the request id (X-Request-Id, taken or made up) in every response; off by default,
    # as PostgREST adds no header it was not configured to (server-trace-header)
    "taproot-request-id-echo": "false",
}
# db-hoisted-tx-settings when unset or empty, as PostgREST's defaultHoistedAllowList
HOISTED_DEFAULT = (
    "statement_timeout",
    "plan_filter.statement_cost_limit",
    "default_transaction_isolation",
)
LOG_QUERY = ("disabled", "main-query")
APP_SETTINGS = "app.settings."
_APP_SETTINGS_ENV = "PGRST_APP_SETTINGS_"
# Options that may come from a file named by <variable>_FILE (secrets, never logged)
_SECRET_OPTIONS = ("db-uri", "jwt-secret", "rate-limit-db-uri")


@dataclass(frozen=True)
class RealtimeConfig:
    """The realtime-* options (docs/realtime.md); present only when realtime-enabled."""

    path: str
    authorize: tuple[str, ...]
    feed: tuple[str, ...]
    channel: str
    delta_channel: str | None
    role: str | None
    max_streams: int
    max_streams_per_user: int
    queue_size: int
    heartbeat_seconds: float
    retry_ms: int


@dataclass(frozen=True)
class ReadyConfig:
    """The taproot-ready-* options: what /ready checks besides the pool and schema cache."""

    function: tuple[str, ...] | None = None
    args: Mapping[str, Any] = field(default_factory=dict)
    probes: tuple[tuple[str, str], ...] = ()
    timeout: float = 2.0


class ConfigError(ValueError):
    """A configuration value that cannot be used; the message names the option."""


@dataclass(frozen=True)
class Config:
    db_uri: str
    db_schemas: tuple[str, ...]
    db_anon_role: str | None
    db_extra_search_path: tuple[str, ...]
    db_max_rows: int | None
    db_pool: int
    db_pool_acquisition_timeout: float
    db_pre_request: tuple[str, ...] | None
    db_tx_end: str
    db_channel: str
    db_channel_enabled: bool
    db_prepared_statements: bool
    db_aggregates_enabled: bool
    jwt_secret: bytes | None
    jwt_jwks: dict[str, Any] | None
    jwt_aud: str | None
    jwt_role_claim_key: tuple[str | int, ...]
    openapi_mode: str
    openapi_server_proxy_uri: str | None
    server_host: str
    server_port: int
    server_timing_enabled: bool
    log_level: str
    server_root_path: str
    server_workers: int
    server_max_body_bytes: int
    server_trace_header: str | None = None
    server_cors_allowed_origins: tuple[str, ...] = ()
    db_plan_enabled: bool = False
    taproot_proxy: tuple[str, str] | None = None
    realtime: RealtimeConfig | None = None
    limits: ratelimit_settings.GatewayLimits = field(
        default_factory=ratelimit_settings.GatewayLimits
    )
    ready: ReadyConfig = field(default_factory=ReadyConfig)
    keepalive_seconds: int = 75
    shutdown_timeout: int = 10
    request_id_echo: bool = False
    db_config: bool = True
    db_pre_config: tuple[str, ...] | None = None
    db_root_spec: tuple[str, ...] | None = None
    db_hoisted_tx_settings: tuple[str, ...] = HOISTED_DEFAULT
    app_settings: tuple[tuple[str, str], ...] = ()
    jwt_cache_max_lifetime: int = 0
    server_unix_socket: str | None = None
    server_unix_socket_mode: int = 0o660
    log_query: bool = False
    admin_server_port: int | None = None
    admin_server_host: str = "!4"
    raw: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)
    # where `raw` came from (the environment and the file), re-read on 'reload config'
    sources: tuple[Mapping[str, str], pathlib.Path | None] = field(
        default=({}, None), repr=False, compare=False
    )

    @property
    def default_schema(self) -> str:
        return self.db_schemas[0]


def host_address(value: str) -> str:
    """PostgREST's server-host spellings as an address to bind."""
    if value in ("!4", "*4", "*"):
        return "0.0.0.0"  # noqa: S104 - PostgREST's "any IPv4" spelling
    if value in ("!6", "*6"):
        return "::"
    return value


def _env_name(option: str) -> str:
    if option.startswith("taproot-"):  # not PostgREST's: no PGRST_ prefix
        return option.upper().replace("-", "_")
    return "PGRST_" + option.upper().replace("-", "_")


def _where(option: str) -> str:
    return f"{option} (env {_env_name(option)})"


_LINE = re.compile(r"^\s*([A-Za-z0-9_.-]+)\s*=\s*(.*?)\s*$")


def parse_file(text: str, path: str = "config") -> dict[str, str]:
    """PostgREST's config syntax: `key = "string"`, `key = 10`, `key = true`, `# comment`."""
    values: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        match = _LINE.match(stripped)
        if not match:
            raise ConfigError(f"{path}:{number}: cannot parse line: {stripped!r}")
        key, value = match.group(1), match.group(2)
        if value.startswith('"'):
            end = _closing_quote(value)
            if end < 0:
                raise ConfigError(f"{path}:{number}: unterminated string for {key}")
            rest = value[end + 1 :].strip()
            if rest and not rest.startswith("#"):
                raise ConfigError(f"{path}:{number}: unexpected text after {key}'s value")
            value = json.loads(value[: end + 1])
        else:
            value = value.split("#", 1)[0].strip()
        values[key] = value
    return values


def _closing_quote(value: str) -> int:
    i = 1
    while i < len(value):
        if value[i] == "\\":
            i += 2
            continue
        if value[i] == '"':
            return i
        i += 1
    return -1


def _int(option: str, value: str, minimum: int = 0, maximum: int | None = None) -> int:
    try:
        number = int(value)
    except ValueError:
        raise ConfigError(f"{_where(option)}: expected an integer, got {value!r}") from None
    if number < minimum or (maximum is not None and number > maximum):
        bound = f"between {minimum} and {maximum}" if maximum is not None else f">= {minimum}"
        raise ConfigError(f"{_where(option)}: must be {bound}, got {number}")
    return number


def _bool(option: str, value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("true", "on", "yes", "1"):
        return True
    if lowered in ("false", "off", "no", "0"):
        return False
    raise ConfigError(f"{_where(option)}: expected true or false, got {value!r}")


def _choice(option: str, value: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise ConfigError(f"{_where(option)}: expected one of {', '.join(choices)}, got {value!r}")
    return value


def _list(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


_JSPATH_TOKEN = re.compile(r'\.(?:"((?:[^"\\]|\\.)*)"|([A-Za-z0-9_$@:/-]+))|\[(\d+)\]')


def parse_role_claim_key(text: str) -> tuple[str | int, ...]:
    """`.role`, `."https://x".roles[0]` → ("https://x", "roles", 0)."""
    text = text.strip()
    path: list[str | int] = []
    pos = 0
    while pos < len(text):
        match = _JSPATH_TOKEN.match(text, pos)
        if not match:
            raise ConfigError(
                f"{_where('jwt-role-claim-key')}: cannot parse {text!r} at position {pos}"
            )
        if match.group(3) is not None:
            path.append(int(match.group(3)))
        elif match.group(1) is not None:
            path.append(json.loads(f'"{match.group(1)}"'))
        else:
            path.append(match.group(2))
        pos = match.end()
    if not path:
        raise ConfigError(f"{_where('jwt-role-claim-key')}: empty path")
    return tuple(path)


def _qualified(option: str, value: str) -> tuple[str, ...]:
    parts = tuple(p.strip().strip('"') for p in value.split("."))
    if not 1 <= len(parts) <= 2 or not all(parts):
        raise ConfigError(
            f"{_where(option)}: expected a function name like schema.name, got {value!r}"
        )
    return parts


def _secret(values: Mapping[str, str]) -> tuple[bytes | None, dict[str, Any] | None]:
    raw = values["jwt-secret"]
    if not raw:
        return None, None
    stripped = raw.strip()
    if stripped.startswith("{"):
        try:
            jwk = json.loads(stripped)
        except ValueError:
            raise ConfigError(
                f"{_where('jwt-secret')}: looks like JSON but does not parse"
            ) from None
        keys = jwk if "keys" in jwk else {"keys": [jwk]}
        return None, keys
    if _bool("jwt-secret-is-base64", values["jwt-secret-is-base64"]):
        try:
            secret = base64.b64decode(
                raw + "=" * (-len(raw) % 4),
                altchars=b"-_" if ("-" in raw or "_" in raw) else None,
                validate=False,
            )
        except ValueError:
            raise ConfigError(f"{_where('jwt-secret')}: not valid base64") from None
    else:
        secret = raw.encode()
    if len(secret) < 32:
        raise ConfigError(
            f"{_where('jwt-secret')}: the JWT secret must be at least 32 characters long"
        )
    return secret, None


def _proxy(value: str) -> tuple[str, str] | None:
    from gateway.proxy import parse

    try:
        return parse(value)
    except ValueError as exc:
        raise ConfigError(f"{_where('taproot-proxy')}: {exc}") from None


def _realtime(v: Mapping[str, str], root: str) -> RealtimeConfig | None:
    if not _bool("realtime-enabled", v["realtime-enabled"]):
        return None
    path = v["realtime-path"].strip().rstrip("/")
    if not path.startswith("/"):
        raise ConfigError(f"{_where('realtime-path')}: must start with '/', got {path!r}")
    for option in ("realtime-authorize", "realtime-feed", "realtime-channel"):
        if not v[option].strip():
            raise ConfigError(f"{_where(option)}: required when realtime-enabled is true")
    return RealtimeConfig(
        path=root + path,
        authorize=_qualified("realtime-authorize", v["realtime-authorize"]),
        feed=_qualified("realtime-feed", v["realtime-feed"]),
        channel=v["realtime-channel"].strip(),
        delta_channel=v["realtime-delta-channel"].strip() or None,
        role=v["realtime-role"].strip() or None,
        max_streams=_int("realtime-max-streams", v["realtime-max-streams"], 1),
        max_streams_per_user=_int(
            "realtime-max-streams-per-user", v["realtime-max-streams-per-user"], 1
        ),
        queue_size=_int("realtime-queue-size", v["realtime-queue-size"], 1),
        heartbeat_seconds=float(
            _int("realtime-heartbeat-seconds", v["realtime-heartbeat-seconds"], 1, 3600)
        ),
        retry_ms=_int("realtime-retry-ms", v["realtime-retry-ms"], 0),
    )


def _ready(v: Mapping[str, str]) -> ReadyConfig:
    function = v["taproot-ready-function"].strip()
    try:
        args = json.loads(v["taproot-ready-args"].strip() or "{}")
    except ValueError:
        args = None
    if not isinstance(args, dict):
        raise ConfigError(f"{_where('taproot-ready-args')}: expected a JSON object")
    expected = v["taproot-expected-change"].strip()
    if expected:
        args["expected_change"] = expected
    probes: list[tuple[str, str]] = []
    for item in _list(v["taproot-ready-probes"]):
        name, sep, url = item.partition("=")
        if not sep or not name.strip() or not re.match(r"^https?://", url.strip()):
            raise ConfigError(
                f"{_where('taproot-ready-probes')}: expected name=http://host:port/path, "
                f"got {item!r}"
            )
        probes.append((name.strip(), url.strip()))
    timeout = v["taproot-ready-timeout"].strip()
    try:
        seconds = float(timeout)
    except ValueError:
        seconds = -1.0
    if not 0 < seconds <= 60:
        raise ConfigError(
            f"{_where('taproot-ready-timeout')}: expected seconds between 0 and 60, got {timeout!r}"
        )
    return ReadyConfig(
        function=_qualified("taproot-ready-function", function) if function else None,
        args=args,
        probes=tuple(probes),
        timeout=seconds,
    )


def _limits(v: Mapping[str, str]) -> ratelimit_settings.GatewayLimits:
    try:
        return ratelimit_settings.load(v)
    except ratelimit_settings.OptionError as exc:
        raise ConfigError(f"{_where(exc.option)}: {exc}") from None


def load(
    environ: Mapping[str, str] | None = None, config_file: pathlib.Path | None = None
) -> Config:
    """Read the configuration: defaults, then the file, then PGRST_* variables."""
    env = dict(os.environ if environ is None else environ)
    return _build(read_values(env, config_file), (env, config_file))


def read_values(env: Mapping[str, str], config_file: pathlib.Path | None) -> dict[str, str]:
    """The raw option values of the file and the environment (the environment wins), with
    `app.settings.*` from both (PGRST_APP_SETTINGS_<name> → app.settings.<name>)."""
    try:
        env = with_files(env, [_env_name(o) for o in _SECRET_OPTIONS])
    except SecretFileError as exc:
        raise ConfigError(str(exc)) from None
    values = dict(_DEFAULTS)
    if config_file is not None:
        try:
            text = pathlib.Path(config_file).read_text()
        except OSError as exc:
            raise ConfigError(f"cannot read config file {config_file}: {exc.strerror}") from None
        for key, value in parse_file(text, str(config_file)).items():
            if key in values or key.startswith(APP_SETTINGS):
                values[key] = value
    for option in _DEFAULTS:
        name = _env_name(option)
        if name in env:
            values[option] = env[name]
    for name, value in env.items():
        if name.startswith(_APP_SETTINGS_ENV) and len(name) > len(_APP_SETTINGS_ENV):
            values[APP_SETTINGS + name[len(_APP_SETTINGS_ENV) :]] = value
    return values


def rebuild(config: Config, values: Mapping[str, str]) -> Config:
    """`values` (raw options, e.g. with the in-database settings applied) as a Config that
    keeps the sources of `config`."""
    return _build(dict(values), config.sources)


def _build(
    v: dict[str, str], sources: tuple[Mapping[str, str], pathlib.Path | None] = ({}, None)
) -> Config:
    schemas = _list(v["db-schemas"])
    if not schemas:
        raise ConfigError(f"{_where('db-schemas')}: at least one schema is needed")
    for reserved in ("pg_catalog", "information_schema"):
        if reserved in schemas:  # PostgREST's parseDbSchemas refuses them too
            raise ConfigError(
                f"{_where('db-schemas')}: db-schemas does not allow schema: '{reserved}'"
            )
    root = v["server-root-path"].strip()
    if root in ("", "/"):
        root = ""
    else:
        if not root.startswith("/"):
            raise ConfigError(f"{_where('server-root-path')}: must start with '/', got {root!r}")
        root = root.rstrip("/")
    secret, jwks = _secret(v)
    max_rows = _int("db-max-rows", v["db-max-rows"]) if v["db-max-rows"].strip() else None
    uri = v["db-uri"]
    if not re.match(r"^postgres(ql)?://", uri):
        raise ConfigError(f"{_where('db-uri')}: expected a postgresql:// URI")
    return Config(
        db_uri=uri,
        db_schemas=schemas,
        db_anon_role=v["db-anon-role"].strip() or None,
        db_extra_search_path=_list(v["db-extra-search-path"]),
        db_max_rows=max_rows,
        db_pool=_int("db-pool", v["db-pool"], 1, 1000),
        db_pool_acquisition_timeout=float(
            _int("db-pool-acquisition-timeout", v["db-pool-acquisition-timeout"], 1)
        ),
        db_pre_request=(
            _qualified("db-pre-request", v["db-pre-request"])
            if v["db-pre-request"].strip()
            else None
        ),
        db_tx_end=_choice("db-tx-end", v["db-tx-end"], TX_ENDS),
        db_channel=v["db-channel"],
        db_channel_enabled=_bool("db-channel-enabled", v["db-channel-enabled"]),
        db_prepared_statements=_bool("db-prepared-statements", v["db-prepared-statements"]),
        db_aggregates_enabled=_bool("db-aggregates-enabled", v["db-aggregates-enabled"]),
        jwt_secret=secret,
        jwt_jwks=jwks,
        jwt_aud=v["jwt-aud"].strip() or None,
        jwt_role_claim_key=parse_role_claim_key(v["jwt-role-claim-key"]),
        openapi_mode=_choice("openapi-mode", v["openapi-mode"], OPENAPI_MODES),
        openapi_server_proxy_uri=v["openapi-server-proxy-uri"].strip() or None,
        server_host=v["server-host"],
        server_port=_int("server-port", v["server-port"], 0, 65535),
        server_timing_enabled=_bool("server-timing-enabled", v["server-timing-enabled"]),
        log_level=_choice("log-level", v["log-level"], LOG_LEVELS),
        server_root_path=root,
        server_workers=_int("server-workers", v["server-workers"], 1, 64),
        server_max_body_bytes=_int("server-max-body-bytes", v["server-max-body-bytes"], 1),
        server_trace_header=v["server-trace-header"].strip().lower() or None,
        server_cors_allowed_origins=_list(v["server-cors-allowed-origins"]),
        db_plan_enabled=_bool("db-plan-enabled", v["db-plan-enabled"]),
        taproot_proxy=_proxy(v["taproot-proxy"]),
        realtime=_realtime(v, root),
        limits=_limits(v),
        ready=_ready(v),
        keepalive_seconds=_int("taproot-keepalive-seconds", v["taproot-keepalive-seconds"], 1),
        shutdown_timeout=_int("taproot-shutdown-timeout", v["taproot-shutdown-timeout"], 0),
        request_id_echo=_bool("taproot-request-id-echo", v["taproot-request-id-echo"]),
        db_config=_bool("db-config", v["db-config"]),
        db_pre_config=_optional_function("db-pre-config", v["db-pre-config"]),
        db_root_spec=_optional_function("db-root-spec", v["db-root-spec"]),
        db_hoisted_tx_settings=_list(v["db-hoisted-tx-settings"]) or HOISTED_DEFAULT,
        app_settings=tuple(sorted((k, x) for k, x in v.items() if k.startswith(APP_SETTINGS))),
        jwt_cache_max_lifetime=_int("jwt-cache-max-lifetime", v["jwt-cache-max-lifetime"]),
        server_unix_socket=v["server-unix-socket"].strip() or None,
        server_unix_socket_mode=_socket_mode(v["server-unix-socket-mode"]),
        log_query=_log_query(v["log-query"]),
        admin_server_port=_admin_port(v),
        admin_server_host=v["admin-server-host"].strip() or v["server-host"],
        raw=dict(v),
        sources=sources,
    )


def _optional_function(option: str, value: str) -> tuple[str, ...] | None:
    return _qualified(option, value) if value.strip() else None


def _socket_mode(value: str) -> int:
    """PostgREST's server-unix-socket-mode: an octal between 600 and 777."""
    option = "server-unix-socket-mode"
    try:
        mode = int(value.strip(), 8)
    except ValueError:
        raise ConfigError(f"{_where(option)}: not an octal, got {value!r}") from None
    if not 0o600 <= mode <= 0o777:
        raise ConfigError(f"{_where(option)}: needs to be between 600 and 777, got {value!r}")
    return mode


def _log_query(value: str) -> bool:
    """v13's `disabled` / `main-query`; v14's booleans are accepted too."""
    lowered = value.strip().lower()
    if lowered in LOG_QUERY:
        return lowered == "main-query"
    try:
        return _bool("log-query", lowered)
    except ConfigError:
        raise ConfigError(
            f"{_where('log-query')}: expected one of {', '.join(LOG_QUERY)}, got {value!r}"
        ) from None


def _admin_port(v: Mapping[str, str]) -> int | None:
    if not v["admin-server-port"].strip():
        return None
    port = _int("admin-server-port", v["admin-server-port"], 0, 65535)
    if port != 0 and port == _int("server-port", v["server-port"], 0, 65535):
        raise ConfigError(
            f"{_where('admin-server-port')}: admin-server-port cannot be the same as server-port"
        )
    return port

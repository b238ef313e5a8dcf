"""The sidecar's settings, read from the environment and validated once at start-up.

A bad value stops start-up with a message naming the variable (`SettingsError`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from pydantic import AliasChoices, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ratelimit.limits import parse_limits
from ratelimit.secretfiles import SecretFileError, with_files


class SettingsError(ValueError):
    """A setting that cannot be used; the message names the environment variable."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", frozen=True, populate_by_name=True)

    db_uri: str = Field(validation_alias=AliasChoices("TAPROOT_SIDECAR_DB_URI", "PGRST_DB_URI"))
    jwt_secret: str = Field(
        validation_alias=AliasChoices("TAPROOT_JWT_SECRET", "PGRST_JWT_SECRET"), repr=False
    )
    jwt_aud: str | None = Field(
        default=None, validation_alias=AliasChoices("TAPROOT_JWT_AUD", "PGRST_JWT_AUD")
    )
    secrets_key: str | None = Field(
        default=None, validation_alias="TAPROOT_SECRETS_KEY", repr=False
    )
    prefix: str = Field(default="/api/ai", validation_alias="TAPROOT_SIDECAR_PREFIX")
    host: str = Field(default="127.0.0.1", validation_alias="SIDECAR_HOST")
    port: int = Field(default=3001, ge=0, le=65535, validation_alias="SIDECAR_PORT")
    workers: int = Field(default=2, ge=1, le=64, validation_alias="TAPROOT_SIDECAR_WORKERS")
    threads: int = Field(default=256, ge=1, le=4096, validation_alias="TAPROOT_SIDECAR_THREADS")
    keepalive: int = Field(default=75, ge=30, le=3600, validation_alias="TAPROOT_SIDECAR_KEEPALIVE")
    # SIGTERM: stop accepting, let in-flight requests (streams too) finish this long
    graceful_timeout: int = Field(
        default=30, ge=0, le=3600, validation_alias="TAPROOT_SIDECAR_GRACEFUL_TIMEOUT"
    )
    db_pool: int = Field(default=20, ge=1, le=1000, validation_alias="TAPROOT_SIDECAR_DB_POOL")
    db_pool_timeout: float = Field(
        default=10.0, gt=0, validation_alias="TAPROOT_SIDECAR_DB_POOL_TIMEOUT"
    )
    cache_ttl: int = Field(default=3600, ge=1, validation_alias="TAPROOT_AI_CACHE_TTL")
    default_max_tokens: int = Field(
        default=4096, ge=1, validation_alias="TAPROOT_AI_DEFAULT_MAX_TOKENS"
    )
    reservation_ttl: int = Field(default=900, ge=10, validation_alias="TAPROOT_AI_RESERVATION_TTL")
    retry_attempts: int = Field(
        default=3, ge=1, le=10, validation_alias="TAPROOT_AI_RETRY_ATTEMPTS"
    )
    breaker_fail_max: int = Field(default=5, ge=1, validation_alias="TAPROOT_AI_BREAKER_FAIL_MAX")
    breaker_reset_seconds: float = Field(
        default=30.0, gt=0, validation_alias="TAPROOT_AI_BREAKER_RESET_SECONDS"
    )
    max_body_bytes: int = Field(
        default=10 * 1024 * 1024, ge=1024, validation_alias="TAPROOT_SIDECAR_MAX_BODY_BYTES"
    )
    log_level: str = Field(default="info", validation_alias="TAPROOT_SIDECAR_LOG_LEVEL")
    # the shared rate limiter on the AI endpoints (docs/rate-limits.md)
    rate_limit_enabled: bool = Field(
        default=True, validation_alias="TAPROOT_SIDECAR_RATE_LIMIT_ENABLED"
    )
    rate_limit_ai: str = Field(default="1200/60s", validation_alias="TAPROOT_SIDECAR_RATE_LIMIT_AI")
    rate_limit_ai_ip: str = Field(
        default="6000/60s", validation_alias="TAPROOT_SIDECAR_RATE_LIMIT_AI_IP"
    )
    rate_limit_backend: str = Field(
        default="postgres", validation_alias="TAPROOT_SIDECAR_RATE_LIMIT_BACKEND"
    )
    rate_limit_function: str = Field(
        default="ratelimit.check", validation_alias="TAPROOT_SIDECAR_RATE_LIMIT_FUNCTION"
    )
    rate_limit_db_uri: str | None = Field(
        default=None, validation_alias="TAPROOT_SIDECAR_RATE_LIMIT_DB_URI", repr=False
    )
    trusted_proxies: int = Field(
        default=0, ge=0, le=16, validation_alias="TAPROOT_SIDECAR_TRUSTED_PROXIES"
    )

    @field_validator("db_uri")
    @classmethod
    def _postgres_uri(cls, value: str) -> str:
        if not value.startswith(("postgresql://", "postgres://")):
            raise ValueError("expected a postgresql:// URI")
        return value

    @field_validator("jwt_secret")
    @classmethod
    def _long_secret(cls, value: str) -> str:
        if len(value) < 32:
            raise ValueError("the JWT secret must be at least 32 characters long")
        return value

    @field_validator("secrets_key")
    @classmethod
    def _long_key(cls, value: str | None) -> str | None:
        if value is not None and len(value) < 32:
            raise ValueError("the secrets key must be at least 32 characters long")
        return value or None

    @field_validator("prefix")
    @classmethod
    def _path_prefix(cls, value: str) -> str:
        if not value.startswith("/"):
            raise ValueError("must start with '/'")
        return value.rstrip("/")

    @field_validator("rate_limit_ai", "rate_limit_ai_ip")
    @classmethod
    def _limits(cls, value: str) -> str:
        parse_limits("ai", value)
        return value

    @field_validator("rate_limit_backend")
    @classmethod
    def _backend(cls, value: str) -> str:
        if value not in ("postgres", "memory"):
            raise ValueError("expected postgres or memory")
        return value

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        if value.lower() not in ("debug", "info", "warning", "error"):
            raise ValueError("expected debug, info, warning or error")
        return value.lower()


def load(environ: Mapping[str, str] | None = None) -> Settings:
    """Settings from `environ` (default: the process environment)."""
    env = dict(os.environ if environ is None else environ)
    try:  # secrets may come from files named by <variable>_FILE
        env = with_files(env, _SECRET_VARIABLES)
    except SecretFileError as exc:
        raise SettingsError(str(exc)) from None
    try:
        # Only the variables named by aliases are passed: pydantic-settings would otherwise
        # also read the process environment when testing with an explicit mapping.
        return Settings.model_validate({k: v for k, v in env.items() if k in _ALIASES})
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            name = str(error["loc"][0]) if error["loc"] else ""
            # a missing value names every variable that could have supplied it
            names = [name] if name in env else _CHOICES.get(name, [name])
            problems.append(f"{' or '.join(names)}: {error['msg']}")
        raise SettingsError("; ".join(problems)) from None


_SECRET_VARIABLES = (
    "TAPROOT_SIDECAR_DB_URI",
    "PGRST_DB_URI",
    "TAPROOT_JWT_SECRET",
    "PGRST_JWT_SECRET",
    "TAPROOT_SECRETS_KEY",
    "TAPROOT_SIDECAR_RATE_LIMIT_DB_URI",
)


def _variable_names(alias: object) -> list[str]:
    if isinstance(alias, AliasChoices):
        return [str(choice) for choice in alias.choices]
    return [str(alias)]


_CHOICES = {
    name: _variable_names(field.validation_alias)
    for field in Settings.model_fields.values()
    for name in _variable_names(field.validation_alias)
}
_ALIASES = frozenset(_CHOICES)

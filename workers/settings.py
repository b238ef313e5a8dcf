"""Worker settings from the environment, validated once, naming the bad variable."""

from __future__ import annotations

import functools
import os
from email.utils import parseaddr
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from taproot import ROOT

# Procrastinate's SQL is unqualified: its schema goes first on the path. The connection
# switches to the worker role at start-up (authenticator may, as for the gateway).
CONNECTION_OPTIONS = "-c role=worker -c search_path=procrastinate,pg_catalog"


def default_mail_dir() -> Path:
    """The local inbox of this checkout: `taproot up`'s state directory (TAPROOT_HOME)."""
    return Path(os.environ.get("TAPROOT_HOME") or ROOT / ".taproot") / "mail"


class WorkerSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", case_sensitive=False)

    # A libpq URL for a login role that may SET ROLE worker (authenticator); empty means
    # libpq's own defaults (PG* variables), which is what Procrastinate's CLI sees too.
    db_uri: str = Field(default="", alias="TAPROOT_WORKER_DB_URI")
    concurrency: int = Field(default=100, ge=1, le=10_000, alias="TAPROOT_WORKER_CONCURRENCY")
    queues: str = Field(default="", alias="TAPROOT_WORKER_QUEUES")  # empty: every queue
    pool_size: int = Field(default=10, ge=2, le=200, alias="TAPROOT_WORKER_POOL_SIZE")
    shutdown_timeout: float = Field(default=20.0, ge=0, alias="TAPROOT_WORKER_SHUTDOWN_TIMEOUT")
    heartbeat_interval: float = Field(default=5.0, gt=0, alias="TAPROOT_WORKER_HEARTBEAT_SECONDS")
    stalled_after: float = Field(default=30.0, gt=0, alias="TAPROOT_WORKER_STALLED_SECONDS")
    polling_interval: float = Field(default=5.0, gt=0, alias="TAPROOT_WORKER_POLLING_SECONDS")
    # Procrastinate logs every job at INFO; a terminal running `up` wants warnings only.
    log_level: str = Field(
        default="warning", pattern="^(debug|info|warning|error)$", alias="TAPROOT_WORKER_LOG_LEVEL"
    )
    # Retries of AI requests: attempts in all, and the backoff (full jitter, capped).
    max_attempts: int = Field(default=5, ge=1, le=100, alias="TAPROOT_AI_MAX_ATTEMPTS")
    retry_base: float = Field(default=2.0, gt=0, alias="TAPROOT_AI_RETRY_BASE_SECONDS")
    retry_cap: float = Field(default=300.0, gt=0, alias="TAPROOT_AI_RETRY_CAP_SECONDS")
    # The key that decrypts workspaces' provider secrets (app.secrets_key); optional.
    secrets_key: str | None = Field(default=None, min_length=32, alias="TAPROOT_SECRETS_KEY")
    cache_ttl: int = Field(default=3600, ge=1, alias="TAPROOT_AI_CACHE_TTL_SECONDS")
    max_output_tokens: int = Field(default=4096, ge=1, alias="TAPROOT_AI_DEFAULT_MAX_TOKENS")
    # Schedules (cron, with an optional sixth field for seconds) and retention.
    reaper_cron: str = Field(default="* * * * * */10", alias="TAPROOT_SCHEDULE_STALLED_JOBS")
    prune_events_cron: str = Field(default="17 * * * *", alias="TAPROOT_SCHEDULE_PRUNE_EVENTS")
    prune_cache_cron: str = Field(default="* * * * *", alias="TAPROOT_SCHEDULE_PRUNE_CACHE")
    rollup_cron: str = Field(default="7 * * * *", alias="TAPROOT_SCHEDULE_USAGE_ROLLUP")
    prune_jobs_cron: str = Field(default="37 3 * * *", alias="TAPROOT_SCHEDULE_PRUNE_JOBS")
    prune_mail_cron: str = Field(default="47 3 * * *", alias="TAPROOT_SCHEDULE_PRUNE_MAIL")
    event_retention_days: int = Field(default=7, ge=1, alias="TAPROOT_EVENT_RETENTION_DAYS")
    mail_retention_days: int = Field(default=30, ge=1, alias="TAPROOT_MAIL_RETENTION_DAYS")
    job_retention_hours: int = Field(default=72, ge=1, alias="TAPROOT_JOB_RETENTION_HOURS")
    # Account mail (workers.mail). Without an SMTP host, mail is kept in a local Maildir
    # (TAPROOT_MAIL_DIR, by default the one `taproot up` and `taproot mail` use).
    smtp_host: str = Field(default="", alias="TAPROOT_SMTP_HOST")
    smtp_port: int | None = Field(default=None, ge=1, le=65535, alias="TAPROOT_SMTP_PORT")
    smtp_tls: Literal["none", "starttls", "tls"] = Field(
        default="starttls", alias="TAPROOT_SMTP_TLS"
    )
    smtp_user: str = Field(default="", alias="TAPROOT_SMTP_USER")
    smtp_password: SecretStr = Field(default=SecretStr(""), alias="TAPROOT_SMTP_PASSWORD")
    smtp_timeout: float = Field(default=30.0, gt=0, le=600, alias="TAPROOT_SMTP_TIMEOUT_SECONDS")
    mail_from: str = Field(default="Taproot <no-reply@localhost>", alias="TAPROOT_MAIL_FROM")
    public_url: str = Field(default="http://localhost:3000", alias="TAPROOT_PUBLIC_URL")
    mail_dir: Path = Field(default_factory=default_mail_dir, alias="TAPROOT_MAIL_DIR")
    mail_max_attempts: int = Field(default=10, ge=1, le=100, alias="TAPROOT_MAIL_MAX_ATTEMPTS")
    mail_retry_base: float = Field(default=5.0, gt=0, alias="TAPROOT_MAIL_RETRY_BASE_SECONDS")
    mail_retry_cap: float = Field(default=900.0, gt=0, alias="TAPROOT_MAIL_RETRY_CAP_SECONDS")

    @field_validator("smtp_port", mode="before")
    @classmethod
    def _empty_port(cls, value: object) -> object:
        # `TAPROOT_SMTP_PORT=` in an env file means "the default for the TLS mode"
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("mail_from")
    @classmethod
    def _one_address(cls, value: str) -> str:
        _name, address = parseaddr(value)
        if "@" not in address or any(c in value for c in "\r\n"):
            raise ValueError("must be one address, like 'Taproot <no-reply@example.com>'")
        return value

    @field_validator("public_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
            raise ValueError("must be an http(s) URL without query, like https://app.example.com")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _smtp_credentials(self) -> WorkerSettings:
        if bool(self.smtp_user) != bool(self.smtp_password.get_secret_value()):
            raise ValueError(
                "TAPROOT_SMTP_USER and TAPROOT_SMTP_PASSWORD are set together or not at all"
            )
        return self

    @property
    def smtp_port_or_default(self) -> int:
        """The port asked for, else the usual one for the TLS mode (25, 587, 465)."""
        return self.smtp_port or {"none": 25, "starttls": 587, "tls": 465}[self.smtp_tls]

    @property
    def queue_list(self) -> list[str] | None:
        names = [q.strip() for q in self.queues.split(",") if q.strip()]
        return names or None


class SettingsError(ValueError):
    """A worker setting that cannot be used; the message names the variable."""


@functools.cache
def settings() -> WorkerSettings:
    try:
        return WorkerSettings()
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'settings'}: {err['msg']}"
            for err in exc.errors()
        )
        raise SettingsError(f"invalid worker setting: {problems}") from exc

"""Settings shared by every Taproot process, read from the environment (12-factor).

Validated once at start-up; a bad value stops the process with a message naming the
variable, never a traceback.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from taproot import ROOT
from taproot.errors import TaprootError


class Settings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", case_sensitive=False)

    # An external server; when set, no embedded cluster is started.
    database_url: str | None = Field(default=None, alias="DATABASE_URL")
    api_port: int = Field(default=3000, ge=1, le=65535, alias="API_PORT")
    api_host: str = Field(default="127.0.0.1", alias="API_HOST")
    sidecar_port: int = Field(default=3001, ge=1, le=65535, alias="SIDECAR_PORT")
    home: Path = Field(default=ROOT / ".taproot", alias="TAPROOT_HOME")
    pg_port: int = Field(default=54329, ge=1, le=65535, alias="TAPROOT_PG_PORT")
    db_name: str = Field(default="taproot", pattern=r"^[a-z_][a-z0-9_]*$", alias="TAPROOT_DB_NAME")
    authenticator_password: str = Field(
        default="authenticator-local-only", min_length=8, alias="TAPROOT_AUTHENTICATOR_PASSWORD"
    )
    analyst_password: str = Field(
        default="analyst-local-only", min_length=8, alias="TAPROOT_ANALYST_PASSWORD"
    )
    jwt_secret: str | None = Field(default=None, min_length=32, alias="JWT_SECRET")
    gateway_workers: int = Field(default=2, ge=1, le=64, alias="TAPROOT_GATEWAY_WORKERS")
    sidecar_host: str = Field(default="127.0.0.1", alias="SIDECAR_HOST")
    worker_processes: int = Field(default=1, ge=0, le=64, alias="TAPROOT_WORKER_PROCESSES")
    # Decrypts workspaces' provider secrets in the sidecar and the workers. The embedded
    # cluster gets one generated under TAPROOT_HOME; with DATABASE_URL set it yourself.
    secrets_key: str | None = Field(default=None, min_length=32, alias="TAPROOT_SECRETS_KEY")

    @property
    def pg_data(self) -> Path:
        return self.home / "pg"


def load_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise TaprootError(f"invalid setting: {problems}", exit_code=2) from exc

"""Settings come from the environment; a bad value names its variable."""

from __future__ import annotations

import pytest

from taproot.errors import TaprootError
from taproot.settings import load_settings


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("API_PORT", "DATABASE_URL", "TAPROOT_PG_PORT"):
        monkeypatch.delenv(var, raising=False)
    settings = load_settings()
    assert settings.api_port == 3000
    assert settings.pg_port == 54329
    assert settings.database_url is None
    assert settings.pg_data == settings.home / "pg"


def test_environment_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("API_PORT", "4000")
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@h/db")
    settings = load_settings()
    assert settings.api_port == 4000
    assert settings.database_url == "postgresql://u@h/db"


@pytest.mark.parametrize(
    ("var", "value"),
    [("API_PORT", "http"), ("API_PORT", "70000"), ("TAPROOT_DB_NAME", "Robert'); DROP")],
)
def test_bad_value_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, var: str, value: str
) -> None:
    monkeypatch.setenv(var, value)
    with pytest.raises(TaprootError, match=var) as info:
        load_settings()
    assert info.value.exit_code == 2

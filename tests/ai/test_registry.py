"""Providers from the environment: defaults, validation naming variables, caching, secrets."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from ai import registry
from ai.errors import ErrorKind, ProviderError
from ai.providers import AnthropicProvider, FakeProvider, OpenAIProvider

VARIABLES = [
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_BASE_URL",
    "TAPROOT_AI_DEFAULT_PROVIDER",
    "TAPROOT_AI_CONNECT_TIMEOUT",
    "TAPROOT_AI_READ_TIMEOUT",
    "TAPROOT_AI_STREAM_STALL_TIMEOUT",
]


@pytest.fixture(autouse=True)
async def clean_env(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[None]:
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    await registry.close_all()
    yield
    await registry.close_all()


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "fake"),
        ({"ANTHROPIC_API_KEY": "a"}, "anthropic"),
        ({"OPENAI_BASE_URL": "http://localhost:11434/v1", "ANTHROPIC_API_KEY": "a"}, "openai"),
        ({"OPENAI_API_KEY": "o"}, "openai"),
        ({"OPENAI_API_KEY": "o", "TAPROOT_AI_DEFAULT_PROVIDER": "fake"}, "fake"),
    ],
)
def test_default_credential(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], expected: str
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert registry.default_credential() == expected


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("TAPROOT_AI_READ_TIMEOUT", "soon"),
        ("TAPROOT_AI_CONNECT_TIMEOUT", "0"),
        ("OPENAI_BASE_URL", "localhost:8000"),
        ("TAPROOT_AI_DEFAULT_PROVIDER", "gemini"),
    ],
)
def test_bad_settings_name_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(registry.SettingsError, match=name):
        registry.settings()


async def test_providers_are_built_once_per_credential_and_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env-secret")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-env")
    monkeypatch.setenv("TAPROOT_AI_STREAM_STALL_TIMEOUT", "7")
    openai = registry.get_provider("openai")
    assert isinstance(openai, OpenAIProvider) and registry.get_provider("openai") is openai
    workspace = registry.get_provider("openai", api_key="sk-workspace")
    assert workspace is not openai and registry.get_provider("openai", "sk-workspace") is workspace
    assert isinstance(registry.get_provider("anthropic"), AnthropicProvider)
    assert isinstance(registry.get_provider("fake"), FakeProvider)
    assert "secret" not in repr(openai) + repr(registry.settings()) + repr(registry._providers)
    await registry.close_all()
    assert registry.get_provider("openai") is not openai


def test_missing_keys_and_unknown_credentials_are_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    for credential, kind in [
        ("openai", ErrorKind.AUTH),
        ("anthropic", ErrorKind.AUTH),
        ("gemini", ErrorKind.PERMANENT),
    ]:
        with pytest.raises(ProviderError) as caught:
            registry.get_provider(credential)
        assert caught.value.kind is kind
    monkeypatch.setenv("OPENAI_BASE_URL", "http://localhost:11434/v1")  # a keyless Ollama
    registry.settings.cache_clear()  # settings are read once per process
    assert isinstance(registry.get_provider("openai"), OpenAIProvider)

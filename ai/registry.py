"""Providers built from the environment, once per process, cached per credential and key.

Variables (validated at first use; errors name the variable):
  OPENAI_API_KEY, OPENAI_BASE_URL (default https://api.openai.com/v1)
  ANTHROPIC_API_KEY, ANTHROPIC_BASE_URL (default https://api.anthropic.com)
  TAPROOT_AI_DEFAULT_PROVIDER  fake | openai | anthropic; default: openai when
      OPENAI_BASE_URL or OPENAI_API_KEY is set, else anthropic when ANTHROPIC_API_KEY
      is set, else fake
  TAPROOT_AI_CONNECT_TIMEOUT (5), TAPROOT_AI_READ_TIMEOUT (120),
  TAPROOT_AI_STREAM_STALL_TIMEOUT (60), in seconds
A workspace may bring its own API key (from its encrypted secrets); the environment's key
is the fallback. Providers hold an httpx client bound to the event loop that first uses
it: a process should make its provider calls from one long-lived loop.
"""

from __future__ import annotations

import hashlib
from functools import cache
from typing import Annotated, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ai.errors import ErrorKind, ProviderError
from ai.providers import AnthropicProvider, FakeProvider, HttpSettings, OpenAIProvider
from ai.providers import anthropic as anthropic_provider
from ai.providers import openai as openai_provider
from ai.types import Provider

CREDENTIALS = ("fake", "openai", "anthropic")
Seconds = Annotated[float, Field(gt=0)]


class SettingsError(ValueError):
    """A provider setting in the environment is invalid; the message names the variable."""


class AiSettings(BaseSettings):
    model_config = SettingsConfigDict(case_sensitive=False, extra="ignore")

    openai_api_key: SecretStr | None = None
    openai_base_url: str | None = None
    anthropic_api_key: SecretStr | None = None
    anthropic_base_url: str = anthropic_provider.DEFAULT_BASE_URL
    taproot_ai_default_provider: Literal["fake", "openai", "anthropic"] | None = None
    taproot_ai_connect_timeout: Seconds = 5.0
    taproot_ai_read_timeout: Seconds = 120.0
    taproot_ai_stream_stall_timeout: Seconds = 60.0

    @field_validator("openai_base_url", "anthropic_base_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value

    def http(self) -> HttpSettings:
        return HttpSettings(
            connect=self.taproot_ai_connect_timeout,
            read=self.taproot_ai_read_timeout,
            stream_stall=self.taproot_ai_stream_stall_timeout,
        )


@cache
def settings() -> AiSettings:
    """The validated settings of this process (read once)."""
    try:
        return AiSettings()
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in error['loc']).upper()}: {error['msg']}"
            for error in exc.errors()
        )
        raise SettingsError(f"invalid AI provider settings: {problems}") from None


def default_credential() -> str:
    """The credential used when a route or request names none."""
    env = settings()
    if env.taproot_ai_default_provider:
        return env.taproot_ai_default_provider
    if env.openai_base_url or env.openai_api_key:
        return "openai"
    if env.anthropic_api_key:
        return "anthropic"
    return "fake"


_providers: dict[tuple[str, str], Provider] = {}


def _fingerprint(api_key: str | None) -> str:
    # The cache is keyed by a digest so the dict never holds (or prints) a second copy.
    return hashlib.sha256(api_key.encode()).hexdigest() if api_key else ""


def _build(credential: str, api_key: str | None) -> Provider:
    env = settings()
    if credential == "fake":
        return FakeProvider()
    if credential == "openai":
        base_url = env.openai_base_url or openai_provider.DEFAULT_BASE_URL
        key = api_key or (env.openai_api_key.get_secret_value() if env.openai_api_key else None)
        # Self-hosted OpenAI-compatible servers (vLLM, Ollama) often need no key; OpenAI does.
        if not key and base_url == openai_provider.DEFAULT_BASE_URL:
            raise ProviderError(
                ErrorKind.AUTH, "no API key for openai: set OPENAI_API_KEY", provider="openai"
            )
        return OpenAIProvider(api_key=key, base_url=base_url, settings=env.http())
    if credential == "anthropic":
        key = api_key or (
            env.anthropic_api_key.get_secret_value() if env.anthropic_api_key else None
        )
        if not key:
            raise ProviderError(
                ErrorKind.AUTH,
                "no API key for anthropic: set ANTHROPIC_API_KEY",
                provider="anthropic",
            )
        return AnthropicProvider(api_key=key, base_url=env.anthropic_base_url, settings=env.http())
    raise ProviderError(
        ErrorKind.PERMANENT,
        f"unknown provider credential {credential!r} (known: {', '.join(CREDENTIALS)})",
    )


def get_provider(credential: str, api_key: str | None = None) -> Provider:
    """The provider for `credential` ("fake", "openai", "anthropic"), built once per key.

    `api_key` is a workspace's own key; without it the environment's key is used.
    Raises ProviderError(AUTH) when no key is available where one is required.
    """
    cache_key = (credential, _fingerprint(api_key))
    provider = _providers.get(cache_key)
    if provider is None:
        provider = _providers[cache_key] = _build(credential, api_key)
    return provider


async def close_all() -> None:
    """Close every cached provider and forget the settings (shutdown, or tests)."""
    providers = list(_providers.values())
    _providers.clear()
    settings.cache_clear()
    for provider in providers:
        await provider.aclose()

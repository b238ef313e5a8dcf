"""The provider implementations behind `ai.types.Provider`: fake, openai, anthropic."""

from ai.providers._http import HttpSettings
from ai.providers.anthropic import AnthropicProvider
from ai.providers.fake import FakeProvider
from ai.providers.openai import OpenAIProvider

__all__ = ["AnthropicProvider", "FakeProvider", "HttpSettings", "OpenAIProvider"]

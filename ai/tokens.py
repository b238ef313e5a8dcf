"""Token counts Taproot computes itself: the fake provider's exact counts and estimates.

The rule is one token per four characters (rounded up), OpenAI's rule of thumb for
English. The fake provider reports it as exact (it is its own tokenizer); real providers
use it only when the upstream did not report usage, and then mark the usage estimated.
"""

from __future__ import annotations

from typing import Any

from ai.types import JSON, Usage

CHARS_PER_TOKEN = 4


def count_tokens(text: str) -> int:
    """Tokens of `text` under the four-characters rule."""
    return -(-len(text) // CHARS_PER_TOKEN)


def content_text(content: Any) -> str:
    """The text of one message's content: a string, or OpenAI's list of parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return ""


def messages_text(messages: list[JSON]) -> str:
    """Every message's text, one message per line, as the token rule sees the prompt."""
    return "\n".join(content_text(message.get("content")) for message in messages)


def count_message_tokens(messages: list[JSON]) -> int:
    return count_tokens(messages_text(messages))


def estimate_usage(messages: list[JSON], output: str) -> Usage:
    """Usage of a call whose upstream reported none: marked estimated."""
    return Usage(
        input_tokens=count_message_tokens(messages),
        output_tokens=count_tokens(output),
        estimated=True,
    )

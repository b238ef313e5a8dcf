"""Decrypted workspace keys are reused for the TTL, per workspace and credential."""

from __future__ import annotations

import time

from ai.keycache import KeyCache


def test_keys_are_reused_until_the_ttl_then_read_again() -> None:
    cache = KeyCache(ttl=0.05)
    assert cache.get("w1", "openai") == (False, None)
    cache.put("w1", "openai", "sk-one")
    cache.put("w1", "anthropic", None)  # the workspace has no key of its own: remembered too
    assert cache.get("w1", "openai") == (True, "sk-one")
    assert cache.get("w1", "anthropic") == (True, None)
    assert cache.get("w2", "openai") == (False, None)
    assert "sk-one" not in repr(cache)
    time.sleep(0.06)
    assert cache.get("w1", "openai") == (False, None)

"""The response cache's key and rule: which calls may be answered from the cache.

The key is the sha256 (hex) of a canonical JSON (sorted keys, no whitespace) of the
route, the upstream model, the messages and every parameter that can change the answer.
Parameters that only change how the answer is delivered (stream, stream_options), who
asked (user) or Taproot's delivery knobs (cache, fake latency) are left out; fake_fail
and fake_output stay in, because they change what comes back.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from ai.types import JSON

KEY_VERSION = 1  # bump when the canonical form changes, so old entries stop matching
IGNORED_PARAMS = frozenset(
    {"stream", "stream_options", "user", "cache", "fake_latency_ms", "fake_stream_interval_ms"}
)
# OpenAI's (and most upstreams') temperature when a request does not set one.
DEFAULT_TEMPERATURE = 1.0


def canonical_json(value: Any) -> str:
    """One spelling per value: sorted keys, no whitespace, UTF-8 kept as is."""
    try:
        return json.dumps(
            value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        )
    except (TypeError, ValueError) as exc:
        raise ValueError(f"not cacheable: {exc}") from None


def cache_key(route: str, upstream_model: str, messages: list[JSON], params: JSON) -> str:
    payload = {
        "v": KEY_VERSION,
        "route": route,
        "model": upstream_model,
        "messages": messages,
        "params": {k: v for k, v in params.items() if k not in IGNORED_PARAMS},
    }
    return hashlib.sha256(canonical_json(payload).encode()).hexdigest()


def cacheable(params: JSON, force: bool = False) -> bool:
    """Whether a call's answer may be stored and reused.

    Only deterministic calls are, unless `force`: temperature must be set to 0 (or less).
    An absent temperature means the upstream default, 1.0 for OpenAI: not deterministic.
    """
    if force:
        return True
    temperature = params.get("temperature", DEFAULT_TEMPERATURE)
    if isinstance(temperature, bool) or not isinstance(temperature, int | float):
        return False
    return temperature <= 0

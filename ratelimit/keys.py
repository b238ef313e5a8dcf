"""Who a request counts against: the client IP (through trusted proxies only) or a digest.

`X-Forwarded-For` is believed for exactly `trusted_hops` proxies: with one proxy in front,
the client is the last address that proxy appended; anything further left was written by
the client and is ignored. With 0 (the default) only the socket's peer counts.
"""

from __future__ import annotations

import hashlib

MAX_KEY = 150


def client_ip(peer: str | None, forwarded: list[str], trusted_hops: int) -> str:
    if trusted_hops <= 0 or not forwarded:
        return peer or "unknown"
    chain = [a.strip() for v in forwarded for a in v.split(",") if a.strip()]
    if not chain:
        return peer or "unknown"
    # the peer is the nearest proxy; each trusted proxy appended the address it saw
    index = max(len(chain) - trusted_hops, 0)
    return chain[index]


def digest(value: str) -> str:
    """A fixed-length stand-in for emails and API keys: no secret or PII in the table."""
    return hashlib.sha256(value.encode()).hexdigest()[:32]


def bounded(key: str) -> str:
    return key if len(key) <= MAX_KEY else key[:40] + ":" + digest(key)

"""The sidecar's AI endpoints share the limiter: per caller (API key digest or JWT sub)
and per IP, refused in OpenAI's or Anthropic's shape with Retry-After and RateLimit fields."""

from __future__ import annotations

from collections.abc import Callable

import requests

from taproot.database import Database
from tests.ratelimit.conftest import Server


def test_ai_endpoints_are_limited(app_db: Database, start_sidecar: Callable[..., Server]) -> None:
    sc = start_sidecar(
        app_db, TAPROOT_SIDECAR_RATE_LIMIT_AI="2/60s", TAPROOT_SIDECAR_RATE_LIMIT_AI_IP="3/60s"
    )
    key = {"Authorization": "Bearer tpk_not_a_real_key_0001"}
    body = {"model": "fake-chat", "messages": [{"role": "user", "content": "hi"}]}
    chat = sc.url + "/v1/chat/completions"
    first = requests.post(chat, json=body, headers=key, timeout=10)
    assert first.status_code == 401  # admitted by the limiter, refused by the key check
    assert first.headers["RateLimit-Policy"] == '"ai";q=2;w=60, "ai-ip";q=3;w=60'
    assert first.headers["RateLimit"].startswith('"ai";r=1;')
    assert requests.post(chat, json=body, headers=key, timeout=10).status_code == 401
    refused = requests.post(chat, json=body, headers=key, timeout=10)
    assert refused.status_code == 429
    error = refused.json()["error"]
    assert error["type"] == "rate_limit_error" and error["code"] == "rate_limit_exceeded"
    assert int(refused.headers["Retry-After"]) >= 1
    messages = requests.post(
        sc.url + "/v1/messages",
        json=body,
        headers={"x-api-key": "tpk_not_a_real_key_0001"},
        timeout=10,
    )
    assert messages.status_code == 429
    assert messages.json() == {
        "type": "error",
        "error": {"type": "rate_limit_error", "message": messages.json()["error"]["message"]},
    }
    # another key is unaffected by the first one's limit, until the IP's own limit
    other = {"Authorization": "Bearer tpk_not_a_real_key_0002"}
    assert requests.post(chat, json=body, headers=other, timeout=10).status_code == 401
    by_ip = requests.post(chat, json=body, headers=other, timeout=10)
    assert by_ip.status_code == 429
    assert by_ip.headers["RateLimit"].startswith('"ai";r=0;t=')  # its own quota is not spent
    assert '"ai-ip";r=0;' in by_ip.headers["RateLimit"]
    assert requests.get(sc.url + "/health", timeout=10).status_code == 200

"""One gateway: the answers of the shared tier (PT429, Retry-After, RateLimit fields), keys
kept apart (IP through one trusted proxy, email), a retrying client, security headers."""

from __future__ import annotations

import time
from collections.abc import Callable

import requests

from taproot.database import Database
from tests.ratelimit.conftest import Server


def _login(gw: Server, ip: str, body: object | None = None) -> requests.Response:
    return requests.post(
        gw.url + "/rpc/login",
        json=body if body is not None else {},
        headers={"X-Forwarded-For": ip},
        timeout=10,
    )


def test_refusals_headers_and_keys(app_db: Database, start_gateway: Callable[..., Server]) -> None:
    gw = start_gateway(
        app_db,
        PGRST_RATE_LIMIT_AUTH="3/2s",
        PGRST_RATE_LIMIT_AUTH_EMAIL="2/60s",
        PGRST_RATE_LIMIT_TRUSTED_PROXIES="1",
    )
    first = _login(gw, "203.0.113.1")
    assert first.status_code != 429
    assert first.headers["RateLimit-Policy"] == '"auth";q=3;w=2'
    assert first.headers["RateLimit"].startswith('"auth";r=2;t=')
    assert [_login(gw, "203.0.113.1").status_code for _ in range(2)].count(429) == 0
    refused = _login(gw, "203.0.113.1")
    assert refused.status_code == 429
    body = refused.json()
    assert body["code"] == "PT429" and set(body) == {"code", "message", "details", "hint"}
    assert 1 <= int(refused.headers["Retry-After"]) <= 2
    assert refused.headers["RateLimit"].startswith('"auth";r=0;t=')
    # another client (another address appended by the trusted proxy) is unaffected
    assert _login(gw, "203.0.113.2").status_code != 429
    # the client's own X-Forwarded-For entries are not believed beyond the trusted hop
    assert _login(gw, "198.51.100.9, 203.0.113.1").status_code == 429
    # a client that honours Retry-After gets in
    time.sleep(int(refused.headers["Retry-After"]))
    assert _login(gw, "203.0.113.1").status_code != 429


def test_email_is_a_key_of_its_own(app_db: Database, start_gateway: Callable[..., Server]) -> None:
    gw = start_gateway(
        app_db, PGRST_RATE_LIMIT_AUTH_EMAIL="2/60s", PGRST_RATE_LIMIT_TRUSTED_PROXIES="1"
    )
    attempt = {"email": "Victim@Example.test", "password": "wrong"}
    codes = [_login(gw, f"192.0.2.{n}", attempt).status_code for n in range(1, 4)]
    assert codes[0] != 429 and codes[1] != 429
    assert codes[2] == 429  # from a third address: the email's own limit
    refused = _login(gw, "192.0.2.9", {"email": "victim@example.test ", "password": "x"})
    assert refused.status_code == 429
    assert '"auth-email";q=2;w=60' in refused.headers["RateLimit-Policy"]
    other = _login(gw, "192.0.2.10", {"email": "someone@example.test", "password": "x"})
    assert other.status_code != 429


def test_security_headers_and_flood_guard(
    app_db: Database, start_gateway: Callable[..., Server]
) -> None:
    gw = start_gateway(app_db, PGRST_RATE_LIMIT_FLOOD="20/10s")
    ok = requests.get(gw.url + "/", timeout=10)
    assert ok.status_code == 200
    assert ok.headers["X-Content-Type-Options"] == "nosniff"
    assert ok.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in ok.headers["Content-Security-Policy"]
    assert "RateLimit" not in ok.headers  # the flood guard adds fields only when it refuses
    with requests.Session() as session:
        codes = [session.get(gw.url + "/users?limit=1", timeout=10).status_code for _ in range(30)]
    assert codes.count(429) >= 9
    refused = requests.get(gw.url + "/users?limit=1", timeout=10)
    assert refused.status_code == 429 and refused.json()["code"] == "PT429"
    assert int(refused.headers["Retry-After"]) >= 1
    time.sleep(int(refused.headers["Retry-After"]))
    metrics = requests.get(f"http://127.0.0.1:{gw.port}/metrics", timeout=10).text
    assert 'taproot_ratelimit_total{outcome="flood"}' in metrics

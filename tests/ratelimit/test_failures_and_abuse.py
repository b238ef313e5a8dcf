"""The limiter's database down (auth fails closed, the rest open) and hostile requests:
oversized bodies and heads, slow clients, malformed JSON, invalid UTF-8, bad tokens.
Always the right 4xx (or 503 by design), never a 500, and the gateway keeps serving."""

from __future__ import annotations

import base64
import json
import socket
import time
from collections.abc import Callable

import jwt
import requests

from taproot.cluster import free_port
from taproot.database import Database
from tests.ratelimit.conftest import Server, jwt_secret


def test_limiter_database_down(app_db: Database, start_gateway: Callable[..., Server]) -> None:
    dead = f"postgresql://authenticator:x@127.0.0.1:{free_port()}/nowhere"
    gw = start_gateway(
        app_db, PGRST_RATE_LIMIT_DB_URI=dead, PGRST_RATE_LIMIT_EXPENSIVE_RPCS="search_documents"
    )
    login = requests.post(
        gw.url + "/rpc/login", json={"email": "a@b.c", "password": "x"}, timeout=10
    )
    assert login.status_code == 503
    assert login.headers["Retry-After"] == "1"
    assert login.json()["details"] == "the rate limiter's database is unavailable"
    # not an auth route: fails open, served by the main database
    assert requests.get(gw.url + "/", timeout=10).status_code == 200
    expensive = requests.post(gw.url + "/rpc/search_documents", json={}, timeout=10)
    assert expensive.status_code not in (429, 503), expensive.text
    time.sleep(1.1)  # past the cool-down: it tries the database again, and fails closed again
    again = requests.post(gw.url + "/rpc/signup", json={}, timeout=10)
    assert again.status_code == 503
    metrics = requests.get(f"http://127.0.0.1:{gw.port}/metrics", timeout=10).text
    assert 'taproot_ratelimit_total{outcome="closed"} ' in metrics
    assert 'taproot_ratelimit_total{outcome="closed"} 0' not in metrics
    assert 'taproot_ratelimit_total{outcome="open"} 0' not in metrics


def _raw(port: int, data: bytes, *, wait: float = 5.0) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=wait) as sock:
        sock.sendall(data)
        chunks = []
        try:
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        except TimeoutError:
            pass
    return b"".join(chunks)


def _token(claims: dict[str, object], secret: str, alg: str = "HS256") -> str:
    return jwt.encode(
        {"aud": "taproot", "exp": int(time.time()) + 600, **claims}, secret, algorithm=alg
    )


def test_hostile_requests(app_db: Database, start_gateway: Callable[..., Server]) -> None:
    gw = start_gateway(
        app_db,
        PGRST_SERVER_MAX_BODY_BYTES="4096",
        PGRST_SERVER_MAX_URL_BYTES="2048",
        PGRST_SERVER_MAX_HEADER_BYTES="8192",
        PGRST_SERVER_HEADER_TIMEOUT="1",
        PGRST_SERVER_REQUEST_DEADLINE="2",
    )
    url = gw.url
    big = {"email": "x" * 8000, "password": "y"}
    assert requests.post(url + "/rpc/login", json=big, timeout=10).status_code == 413
    assert requests.post(url + "/documents", json=big, timeout=10).status_code == 413
    assert requests.get(url + "/users?name=eq." + "a" * 4000, timeout=10).status_code == 414
    huge = {f"x-filler-{n}": "z" * 1000 for n in range(12)}
    assert requests.get(url + "/users", headers=huge, timeout=10).status_code == 431
    # slowloris: half a head, then silence → 408 and the connection closed
    started = time.monotonic()
    answer = _raw(gw.port, b"GET /api/users HTTP/1.1\r\nHost: x\r\nX-Slow: ")
    assert answer.startswith(b"HTTP/1.1 408"), answer
    assert time.monotonic() - started < 4
    # a connection opened ahead of its first request is idle, not slow: no 408 for it
    with socket.create_connection(("127.0.0.1", gw.port), timeout=10) as early:
        time.sleep(1.6)  # past the 1 s head deadline, well within the keep-alive timeout
        early.sendall(b"GET /api/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        reply = early.recv(4096)
    assert reply.startswith(b"HTTP/1.1 200"), reply
    # a body that never completes → 408 once the deadline passes
    answer = _raw(
        gw.port,
        b"POST /api/rpc/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b'Content-Length: 100\r\n\r\n{"email":',
    )
    assert b" 408 " in answer.split(b"\r\n", 1)[0], answer
    answer = _raw(
        gw.port,
        b"POST /api/documents HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b'Content-Length: 100\r\n\r\n{"title":',
    )
    assert b" 408 " in answer.split(b"\r\n", 1)[0], answer
    json_ct = {"Content-Type": "application/json"}
    for body in (b"{not json", b'{"email": "\xff\xfe", "password": "x"}', b"\xc3\x28"):
        r = requests.post(url + "/rpc/login", data=body, headers=json_ct, timeout=10)
        assert r.status_code == 400, (body, r.status_code, r.text)
    # tokens: alg=none, tampered payload, wrong key, HS256 signed with garbage
    secret = jwt_secret(app_db)
    good = _token({"role": "authenticated", "sub": "00000000-0000-0000-0000-000000000001"}, secret)
    head, payload, sig = good.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["role"] = "service_role"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    none_head = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode()
    bad_tokens = [
        f"{none_head}.{payload}.",
        f"{head}.{forged}.{sig}",
        _token({"role": "service_role"}, "another-secret-of-at-least-32-characters"),
        "not.a.token",
        "\u00e9t\u00e9",
    ]
    for token in bad_tokens:
        r = requests.get(url + "/users", headers={"Authorization": f"Bearer {token}"}, timeout=10)
        assert r.status_code == 401, (token, r.status_code, r.text)
    assert (
        requests.get(
            url + "/users", headers={"Authorization": f"Bearer {good}"}, timeout=10
        ).status_code
        == 200
    )
    assert gw.process.alive()
    assert requests.get(url + "/ready", timeout=10).status_code == 200
    assert "Traceback" not in gw.process.output()

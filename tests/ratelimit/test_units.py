"""Pure parts: limit syntax, the in-memory GCRA, the fields, client IPs, secret files,
configuration errors, and the gateway's JWT algorithm allowlist (no none, no HS/RS mix)."""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from gateway.auth import Authenticator
from gateway.config import ConfigError, load
from gateway.errors import ApiError
from ratelimit import fields
from ratelimit.backend import MemoryBackend
from ratelimit.keys import bounded, client_ip
from ratelimit.limits import Limit, parse_limits
from ratelimit.secretfiles import SecretFileError, with_files


def test_limit_syntax() -> None:
    limits = parse_limits("auth", "60/1m, authenticated=120/60s, service_role=off")
    assert limits.for_role(None) == Limit("auth", 60, 60.0)
    assert limits.for_role("authenticated") == Limit("auth", 120, 60.0)
    assert limits.for_role("service_role") is None
    assert parse_limits("x", "5/500ms").default == Limit("x", 5, 0.5)
    assert parse_limits("x", "off").default is None
    for bad in ("ten/s", "0/1s", "5/0s", "=5/1s"):
        with pytest.raises(ValueError):
            parse_limits("x", bad)


def test_memory_gcra() -> None:
    mem = MemoryBackend()
    now = 100.0
    got = [mem.take("k", 10, 3, 1, now) for _ in range(4)]
    assert [d.allowed for d in got] == [True, True, True, False]
    assert [d.remaining for d in got[:3]] == [2, 1, 0]
    assert got[3].retry_after == pytest.approx(0.1)
    assert mem.take("k", 10, 3, 1, now + 0.1).allowed
    assert mem.take("other", 10, 3, 1, now).allowed
    assert mem.prune(now + 10) == 2


def test_fields() -> None:
    mem = MemoryBackend()
    limit = Limit("auth", 2, 60.0)
    ok = mem.take("k", limit.rate, 2, 1, 0.0)
    assert fields.headers([(limit, ok)]) == [
        (b"ratelimit-policy", b'"auth";q=2;w=60'),
        (b"ratelimit", b'"auth";r=1;t=30'),
    ]
    mem.take("k", limit.rate, 2, 1, 0.0)
    refused = mem.take("k", limit.rate, 2, 1, 0.0)
    assert dict(fields.headers([(limit, refused)]))[b"retry-after"] == b"30"


def test_client_ip() -> None:
    assert client_ip("10.0.0.1", ["1.2.3.4"], 0) == "10.0.0.1"
    assert client_ip("10.0.0.1", ["6.6.6.6, 1.2.3.4"], 1) == "1.2.3.4"
    assert client_ip("10.0.0.1", ["6.6.6.6", "1.2.3.4, 10.0.0.2"], 2) == "1.2.3.4"
    assert client_ip("10.0.0.1", ["1.2.3.4"], 5) == "1.2.3.4"
    assert client_ip(None, [], 1) == "unknown"
    assert len(bounded("x" * 500)) < 100


def test_secret_files(tmp_path: Path) -> None:
    path = tmp_path / "secret"
    path.write_text("s3cret-value\n")
    env = with_files({"A_FILE": str(path), "B": "set", "B_FILE": "/nope"}, ["A", "B"])
    assert env["A"] == "s3cret-value" and env["B"] == "set"
    with pytest.raises(SecretFileError, match="C_FILE"):
        with_files({"C_FILE": str(tmp_path / "missing")}, ["C"])
    config = load({})
    assert config.limits.shared is False  # no function configured: the gateway stays generic
    (tmp_path / "jwt").write_text("j" * 40)
    config = load({"PGRST_JWT_SECRET_FILE": str(tmp_path / "jwt")})
    assert config.jwt_secret == b"j" * 40


def test_configuration_errors_name_the_variable() -> None:
    with pytest.raises(ConfigError, match="PGRST_RATE_LIMIT_AUTH"):
        load({"PGRST_RATE_LIMIT_AUTH": "lots"})
    with pytest.raises(ConfigError, match="PGRST_RATE_LIMIT_BACKEND"):
        load({"PGRST_RATE_LIMIT_BACKEND": "redis"})
    config = load({"PGRST_RATE_LIMIT_FUNCTION": "ratelimit.check"})
    assert config.limits.shared and config.limits.rpcs["login"].fail_closed
    assert not config.limits.rpcs["invite_member"].fail_closed


def _rsa_authenticator() -> tuple[Authenticator, rsa.RSAPrivateKey, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = key.public_key()
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(public))
    config = load({"PGRST_JWT_SECRET": json.dumps(jwk), "PGRST_DB_ANON_ROLE": "anon"})
    pem = public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return Authenticator(config), key, pem


def test_jwt_algorithm_allowlist() -> None:
    auth, key, pem = _rsa_authenticator()
    good = jwt.encode({"role": "authenticated"}, key, algorithm="RS256")
    assert auth.authenticate(f"Bearer {good}").role == "authenticated"
    # HS/RS confusion: an HMAC token keyed with the public key is refused
    header = jwt.utils.base64url_encode(b'{"alg":"HS256","typ":"JWT"}').decode()
    payload = jwt.utils.base64url_encode(b'{"role":"service_role"}').decode()
    mac = hmac.new(pem, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    confused = f"{header}.{payload}.{jwt.utils.base64url_encode(mac).decode()}"
    none_header = jwt.utils.base64url_encode(b'{"alg":"none"}').decode()
    none = f"{none_header}.{payload}."
    for token in (confused, none):
        with pytest.raises(ApiError) as err:
            auth.authenticate(f"Bearer {token}")
        assert err.value.status == 401

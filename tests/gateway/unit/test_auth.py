"""JWT → role and claims, with PostgREST's messages, skew and cache."""

from __future__ import annotations

import json
import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from gateway.auth import Authenticator
from gateway.config import load
from gateway.errors import ApiError

SECRET = "reallyreallyreallyreallyverysafe"


def authn(**env: str) -> Authenticator:
    base = {"PGRST_JWT_SECRET": SECRET, "PGRST_DB_ANON_ROLE": "anon"}
    base.update(env)
    return Authenticator(load(base))


def token(
    claims: dict[str, Any],
    key: Any = SECRET,
    alg: str = "HS256",
    headers: dict[str, Any] | None = None,
) -> str:
    return jwt.encode(claims, key, algorithm=alg, headers=headers)


def fails(auth: Authenticator, header: str) -> ApiError:
    with pytest.raises(ApiError) as exc:
        auth.authenticate(header)
    return exc.value


def test_anonymous_and_valid_tokens() -> None:
    auth = authn()
    anon = auth.authenticate(None)
    assert (anon.role, anon.authenticated) == ("anon", False)
    assert json.loads(anon.claims_json) == {"role": "anon"}
    assert auth.authenticate("Basic abc").role == "anon"
    result = auth.authenticate("Bearer " + token({"role": "user", "sub": "1"}))
    assert (result.role, result.authenticated) == ("user", True)
    assert json.loads(result.claims_json)["sub"] == "1"
    assert auth.authenticate("bearer " + token({"sub": "x"})).role == "anon"


def test_no_anon_role_requires_a_token() -> None:
    err = fails(authn(PGRST_DB_ANON_ROLE=""), None)  # type: ignore[arg-type]
    assert (err.status, err.code) == (401, "PGRST302")
    assert (b"www-authenticate", b"Bearer") in err.headers


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("Bearer ", "Empty JWT is sent in Authorization header"),
        ("Bearer a.b", "Expected 3 parts in JWT; got 2"),
        ("Bearer a.b.c.d", "Expected 3 parts in JWT; got 4"),
    ],
)
def test_decode_errors(header: str, message: str) -> None:
    err = fails(authn(), header)
    assert (err.status, err.code, err.message) == (401, "PGRST301", message)
    assert err.headers[0][0] == b"www-authenticate"
    assert b'error="invalid_token"' in err.headers[0][1]


def test_bad_signature_and_algorithm() -> None:
    err = fails(authn(), "Bearer " + token({"role": "x"}, key="another-secret-another-secret-xx"))
    assert err.message == "JWT cryptographic operation failed"
    none_token = jwt.encode({"role": "x"}, "", algorithm="none")
    assert (
        fails(authn(), "Bearer " + none_token).message == "Wrong or unsupported encoding algorithm"
    )


def test_time_claims_with_skew() -> None:
    now = int(time.time())
    auth = authn()
    assert auth.authenticate("Bearer " + token({"role": "u", "exp": now - 10})).role == "u"
    assert fails(auth, "Bearer " + token({"role": "u", "exp": now - 60})).message == "JWT expired"
    assert (
        fails(auth, "Bearer " + token({"role": "u", "nbf": now + 60})).message
        == "JWT not yet valid"
    )
    assert (
        fails(auth, "Bearer " + token({"role": "u", "iat": now + 60})).message
        == "JWT issued at future"
    )
    err = fails(auth, "Bearer " + token({"role": "u", "exp": "soon"}))
    assert (err.code, err.message) == ("PGRST303", "The JWT 'exp' claim must be a number")


def test_audience() -> None:
    auth = authn(PGRST_JWT_AUD="taproot")
    assert auth.authenticate("Bearer " + token({"role": "u", "aud": "taproot"})).role == "u"
    assert auth.authenticate("Bearer " + token({"role": "u", "aud": ["x", "taproot"]})).role == "u"
    assert auth.authenticate("Bearer " + token({"role": "u"})).role == "u"
    assert (
        fails(auth, "Bearer " + token({"role": "u", "aud": "other"})).message
        == "JWT not in audience"
    )
    assert fails(auth, "Bearer " + token({"role": "u", "aud": 5})).code == "PGRST303"


def test_role_claim_key() -> None:
    auth = authn(PGRST_JWT_ROLE_CLAIM_KEY='."https://x".roles[1]')
    claims = {"https://x": {"roles": ["a", "b"]}}
    assert auth.authenticate("Bearer " + token(claims)).role == "b"


def test_cache_returns_the_same_result_until_expiry() -> None:
    auth = authn(PGRST_JWT_CACHE_MAX_LIFETIME="3600")
    t = token({"role": "u", "exp": int(time.time()) + 100})
    assert auth.authenticate("Bearer " + t) is auth.authenticate("Bearer " + t)


def test_rs256_with_jwks() -> None:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(private.public_key()))
    jwk["kid"] = "k1"
    auth = Authenticator(
        load({"PGRST_JWT_SECRET": json.dumps({"keys": [jwk]}), "PGRST_DB_ANON_ROLE": "anon"})
    )
    good = token({"role": "rsa_user"}, private, "RS256", {"kid": "k1"})
    assert auth.authenticate("Bearer " + good).role == "rsa_user"
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    bad = token({"role": "rsa_user"}, other, "RS256", {"kid": "k1"})
    assert fails(auth, "Bearer " + bad).message == "JWT cryptographic operation failed"
    hs = token({"role": "x"})
    assert fails(auth, "Bearer " + hs).message == "No suitable key or wrong key type"

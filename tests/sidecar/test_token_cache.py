"""The sidecar keeps verified access tokens per process, and never past their time claims.

A client sends the same token on every call, so a token's signature is verified once;
every later use checks exp, nbf and iat again (with the same clock skew as jwt.decode),
and a token that no longer passes them is refused with the error jwt.decode gives.
"""

from __future__ import annotations

import time
import uuid

import jwt
import pytest
from sidecar.caller import CLOCK_SKEW, VERIFIED_TOKENS, Authenticator, Caller
from sidecar.db import Database
from sidecar.errors import SidecarError

SECRET = "token-cache-test-secret-token-cache-test-secret"
WORKSPACE = str(uuid.uuid4())


@pytest.fixture
def auth() -> Authenticator:
    # never opened: identifying a token caller without rights reads no database
    db = Database("postgresql://nobody@127.0.0.1:1/none", size=1, timeout=1, secrets_key=None)
    return Authenticator(db, SECRET, "taproot")


def token(**claims: object) -> str:
    base: dict[str, object] = {"role": "authenticated", "sub": str(uuid.uuid4()), "aud": "taproot"}
    return jwt.encode({**base, **claims}, SECRET, algorithm="HS256")


def identify(auth: Authenticator, value: str) -> Caller:
    return auth.identify(f"Bearer {value}", None, WORKSPACE, rights=False)


def test_a_verified_token_is_verified_once(auth: Authenticator) -> None:
    value = token(exp=int(time.time()) + 600)
    first = identify(auth, value)
    second = identify(auth, value)
    assert first == second
    assert first.role is second.role  # the cached Role itself, its claims JSON made once


def test_a_cached_token_is_refused_once_expired(auth: Authenticator) -> None:
    value = token(exp=int(time.time()) - CLOCK_SKEW + 1)  # good for about a second
    identify(auth, value)
    identify(auth, value)
    time.sleep(2.1)
    with pytest.raises(SidecarError) as refused:
        identify(auth, value)
    assert refused.value.status == 401
    assert "Signature has expired" in str(refused.value)


def test_not_yet_valid_tokens_and_bad_signatures_are_never_cached(auth: Authenticator) -> None:
    early = token(nbf=int(time.time()) + CLOCK_SKEW + 60)
    for _ in range(2):
        with pytest.raises(SidecarError, match="not yet valid"):
            identify(auth, early)
    good = token(exp=int(time.time()) + 600)
    identify(auth, good)
    forged = good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB")
    with pytest.raises(SidecarError, match="Invalid access token"):
        identify(auth, forged)
    wrong_audience = jwt.encode(
        {"role": "authenticated", "aud": "elsewhere"}, SECRET, algorithm="HS256"
    )
    for _ in range(2):
        with pytest.raises(SidecarError, match="Invalid access token"):
            identify(auth, wrong_audience)


def test_the_cache_is_bounded(auth: Authenticator) -> None:
    for n in range(VERIFIED_TOKENS + 10):
        identify(auth, token(exp=int(time.time()) + 600, n=n))
    assert len(auth._verified) <= VERIFIED_TOKENS

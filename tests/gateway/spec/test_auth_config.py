"""Auth settings beyond the default gateway: jwt-aud, jwt-role-claim-key, an RS256
JWKS as the jwt-secret, and no db-anon-role (PGRST302). Ported from PostgREST's
AudienceJwtSecretSpec.hs, AsymmetricJwtSpec.hs, NoAnonSpec.hs and its role-claim-key
docs (`.app_metadata.roles[1]`-style JSPath).
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from tests.gateway.conftest import Gateway, GatewayFactory, bearer, mint_jwt
from tests.gateway.spec._http import assert_error, assert_json, ids

AUD = "taproot-spec"
INVALID_AUD = 'Bearer error="invalid_token", error_description="JWT not in audience"'


def _exp() -> int:
    return int(time.time()) + 300


@pytest.fixture(scope="module")
def aud_gateway(start_gateway: GatewayFactory) -> Gateway:
    return start_gateway(PGRST_JWT_AUD=AUD)


def test_aud_matching(aud_gateway: Gateway) -> None:
    token = mint_jwt({"role": "gw_user", "aud": AUD, "exp": _exp()})
    assert_json(aud_gateway.get("/rpc/whoami", headers=bearer(token)), 200, "gw_user")


def test_aud_list_containing_the_audience(aud_gateway: Gateway) -> None:
    token = mint_jwt({"role": "gw_user", "aud": ["other", AUD], "exp": _exp()})
    assert_json(aud_gateway.get("/rpc/whoami", headers=bearer(token)), 200, "gw_user")


def test_aud_missing_is_accepted(aud_gateway: Gateway) -> None:
    token = mint_jwt({"role": "gw_user", "exp": _exp()})
    assert_json(aud_gateway.get("/rpc/whoami", headers=bearer(token)), 200, "gw_user")


def test_aud_mismatch_is_401(aud_gateway: Gateway) -> None:
    token = mint_jwt({"role": "gw_user", "aud": "someone-else", "exp": _exp()})
    assert_error(
        aud_gateway.get("/items", headers=bearer(token)),
        401,
        "PGRST303",
        "JWT not in audience",
        headers={"WWW-Authenticate": INVALID_AUD},
    )


@pytest.fixture(scope="module")
def claim_key_gateway(start_gateway: GatewayFactory) -> Gateway:
    return start_gateway(PGRST_JWT_ROLE_CLAIM_KEY=".app_metadata.roles[1]")


def test_role_claim_key_path(claim_key_gateway: Gateway) -> None:
    token = mint_jwt(
        {"role": "gw_admin", "app_metadata": {"roles": ["gw_admin", "gw_user"]}, "exp": _exp()}
    )
    assert_json(claim_key_gateway.get("/rpc/whoami", headers=bearer(token)), 200, "gw_user")


def test_role_claim_key_result_is_the_claims_role(claim_key_gateway: Gateway) -> None:
    token = mint_jwt({"role": "gw_admin", "app_metadata": {"roles": ["x", "gw_user"]}})
    resp = claim_key_gateway.get("/rpc/request_context", headers=bearer(token))
    assert resp.status_code == 200
    assert resp.json()["claims"] == {"role": "gw_user", "app_metadata": {"roles": ["x", "gw_user"]}}


def test_role_claim_key_path_missing_means_anon(claim_key_gateway: Gateway) -> None:
    token = mint_jwt({"role": "gw_user", "exp": _exp()})
    assert_json(claim_key_gateway.get("/rpc/whoami", headers=bearer(token)), 200, "gw_anon")


@pytest.fixture(scope="module")
def rsa_keys() -> tuple[rsa.RSAPrivateKey, rsa.RSAPrivateKey]:
    return (
        rsa.generate_private_key(public_exponent=65537, key_size=2048),
        rsa.generate_private_key(public_exponent=65537, key_size=2048),
    )


@pytest.fixture(scope="module")
def jwks_gateway(
    start_gateway: GatewayFactory, rsa_keys: tuple[rsa.RSAPrivateKey, rsa.RSAPrivateKey]
) -> Gateway:
    jwk: dict[str, Any] = json.loads(RSAAlgorithm.to_jwk(rsa_keys[0].public_key()))
    jwk.update({"kid": "spec-key", "alg": "RS256", "use": "sig"})
    return start_gateway(PGRST_JWT_SECRET=json.dumps({"keys": [jwk]}))


def test_rs256_token_signed_by_a_jwks_key(
    jwks_gateway: Gateway, rsa_keys: tuple[rsa.RSAPrivateKey, rsa.RSAPrivateKey]
) -> None:
    token = mint_jwt(
        {"role": "gw_user", "exp": _exp()},
        secret=rsa_keys[0],
        algorithm="RS256",
        headers={"kid": "spec-key"},
    )
    assert_json(jwks_gateway.get("/rpc/whoami", headers=bearer(token)), 200, "gw_user")


def test_rs256_token_without_kid(
    jwks_gateway: Gateway, rsa_keys: tuple[rsa.RSAPrivateKey, rsa.RSAPrivateKey]
) -> None:
    token = mint_jwt({"role": "gw_user", "exp": _exp()}, secret=rsa_keys[0], algorithm="RS256")
    assert_json(jwks_gateway.get("/rpc/whoami", headers=bearer(token)), 200, "gw_user")


def test_rs256_token_signed_by_another_key_is_401(
    jwks_gateway: Gateway, rsa_keys: tuple[rsa.RSAPrivateKey, rsa.RSAPrivateKey]
) -> None:
    token = mint_jwt(
        {"role": "gw_user", "exp": _exp()},
        secret=rsa_keys[1],
        algorithm="RS256",
        headers={"kid": "spec-key"},
    )
    resp = jwks_gateway.get("/items", headers=bearer(token))
    assert resp.status_code == 401
    assert resp.json()["code"] == "PGRST301"
    assert resp.headers["WWW-Authenticate"].startswith('Bearer error="invalid_token"')


def test_hs256_token_is_refused_by_an_rs256_jwks(jwks_gateway: Gateway) -> None:
    resp = jwks_gateway.get("/items", headers=bearer(mint_jwt({"role": "gw_user"})))
    assert resp.status_code == 401
    assert resp.json()["code"] == "PGRST301"


def test_anonymous_still_works_with_a_jwks(jwks_gateway: Gateway) -> None:
    assert_json(jwks_gateway.get("/rpc/whoami"), 200, "gw_anon")


@pytest.fixture(scope="module")
def no_anon_gateway(start_gateway: GatewayFactory) -> Gateway:
    return start_gateway(PGRST_DB_ANON_ROLE=None)


def test_no_anon_role_and_no_token_is_401(no_anon_gateway: Gateway) -> None:
    assert_error(
        no_anon_gateway.get("/items"),
        401,
        "PGRST302",
        "Anonymous access is disabled",
        headers={"WWW-Authenticate": "Bearer"},
    )


def test_no_anon_role_rpc_is_401(no_anon_gateway: Gateway) -> None:
    assert_error(
        no_anon_gateway.post("/rpc/whoami", json={}),
        401,
        "PGRST302",
        "Anonymous access is disabled",
        headers={"WWW-Authenticate": "Bearer"},
    )


def test_no_anon_role_with_token_works(no_anon_gateway: Gateway) -> None:
    token = mint_jwt({"role": "gw_user", "exp": _exp()})
    assert_json(no_anon_gateway.get("/items?id=eq.1", headers=bearer(token)), 200, ids(1))

"""JWT authentication (HS256 with the configured secret): the role claim switches the
database role; missing token means the anon role; bad tokens are 401 with a
WWW-Authenticate challenge. Codes and messages from PostgREST's Error.hs (PGRST301
decode errors, PGRST303 claim errors), 30 s of allowed clock skew as in its Auth.hs.
"""

from __future__ import annotations

import time

import pytest

from tests.gateway.conftest import Gateway, bearer, mint_jwt, user_headers
from tests.gateway.spec._http import assert_error, assert_json


def invalid_token(message: str) -> dict[str, str]:
    return {"WWW-Authenticate": f'Bearer error="invalid_token", error_description="{message}"'}


def test_no_token_runs_as_anon(api: Gateway) -> None:
    assert_json(api.get("/rpc/whoami"), 200, "gw_anon")


def test_valid_token_switches_role(api: Gateway) -> None:
    assert_json(api.get("/rpc/whoami", headers=user_headers()), 200, "gw_user")


def test_valid_token_reads_what_the_role_may_read(api: Gateway) -> None:
    assert_json(
        api.get("/authors_only", headers=user_headers()),
        200,
        [{"id": 1, "secret": "only for gw_user"}],
    )


def test_signed_in_role_without_privilege_is_403(api: Gateway) -> None:
    assert_error(
        api.get("/authors_only", headers=user_headers("gw_admin")),
        403,
        "42501",
        "permission denied for table authors_only",
    )


def test_token_without_exp_is_accepted(api: Gateway) -> None:
    token = mint_jwt({"role": "gw_user"})
    assert_json(api.get("/rpc/whoami", headers=bearer(token)), 200, "gw_user")


def test_token_without_role_runs_as_anon(api: Gateway) -> None:
    token = mint_jwt({"sub": "someone", "exp": int(time.time()) + 60})
    assert_json(api.get("/rpc/whoami", headers=bearer(token)), 200, "gw_anon")


def test_wrong_signature_is_401(api: Gateway) -> None:
    token = mint_jwt({"role": "gw_user"}, secret="another-secret-that-is-long-enough-32")
    assert_error(
        api.get("/items", headers=bearer(token)),
        401,
        "PGRST301",
        "JWT cryptographic operation failed",
        headers=invalid_token("JWT cryptographic operation failed"),
    )


def test_tampered_payload_is_401(api: Gateway) -> None:
    header, _, signature = mint_jwt({"role": "gw_anon"}).split(".")
    forged = mint_jwt({"role": "gw_user"}).split(".")[1]
    resp = api.get("/items", headers=bearer(f"{header}.{forged}x.{signature}"))
    assert resp.status_code == 401
    assert resp.json()["code"] == "PGRST301"


def test_not_a_jwt_is_401(api: Gateway) -> None:
    assert_error(
        api.get("/items", headers=bearer("abc")),
        401,
        "PGRST301",
        "Expected 3 parts in JWT; got 1",
        headers=invalid_token("Expected 3 parts in JWT; got 1"),
    )


def test_empty_bearer_is_401(api: Gateway) -> None:
    assert_error(
        api.get("/items", headers={"Authorization": "Bearer "}),
        401,
        "PGRST301",
        "Empty JWT is sent in Authorization header",
        headers=invalid_token("Empty JWT is sent in Authorization header"),
    )


def test_alg_none_is_rejected(api: Gateway) -> None:
    token = mint_jwt({"role": "gw_user"}, secret="", algorithm="none")
    resp = api.get("/rpc/whoami", headers=bearer(token))
    assert resp.status_code == 401
    assert resp.json()["code"] == "PGRST301"


def test_expired_token_is_401(api: Gateway) -> None:
    token = mint_jwt({"role": "gw_user", "exp": int(time.time()) - 120})
    assert_error(
        api.get("/items", headers=bearer(token)),
        401,
        "PGRST303",
        "JWT expired",
        headers=invalid_token("JWT expired"),
    )


def test_exp_within_clock_skew_is_accepted(api: Gateway) -> None:
    token = mint_jwt({"role": "gw_user", "exp": int(time.time()) - 5})
    assert_json(api.get("/rpc/whoami", headers=bearer(token)), 200, "gw_user")


def test_nbf_in_the_future_is_401(api: Gateway) -> None:
    token = mint_jwt({"role": "gw_user", "nbf": int(time.time()) + 120})
    assert_error(
        api.get("/items", headers=bearer(token)),
        401,
        "PGRST303",
        "JWT not yet valid",
        headers=invalid_token("JWT not yet valid"),
    )


def test_nbf_within_clock_skew_is_accepted(api: Gateway) -> None:
    token = mint_jwt({"role": "gw_user", "nbf": int(time.time()) + 5})
    assert_json(api.get("/rpc/whoami", headers=bearer(token)), 200, "gw_user")


def test_iat_in_the_future_is_401(api: Gateway) -> None:
    token = mint_jwt({"role": "gw_user", "iat": int(time.time()) + 120})
    assert_error(
        api.get("/items", headers=bearer(token)),
        401,
        "PGRST303",
        "JWT issued at future",
        headers=invalid_token("JWT issued at future"),
    )


def test_non_numeric_exp_is_401(api: Gateway) -> None:
    token = mint_jwt({"role": "gw_user", "exp": "tomorrow"})
    assert_error(
        api.get("/items", headers=bearer(token)),
        401,
        "PGRST303",
        "The JWT 'exp' claim must be a number",
        headers=invalid_token("The JWT 'exp' claim must be a number"),
    )


def test_role_that_does_not_exist_is_401(api: Gateway) -> None:
    assert_error(
        api.get("/items", headers=user_headers("gw_ghost")),
        401,
        "22023",
        'role "gw_ghost" does not exist',
        headers={"WWW-Authenticate": "Bearer"},
    )


def test_role_the_authenticator_cannot_become_is_403(api: Gateway) -> None:
    assert_error(
        api.get("/items", headers=user_headers("gw_stranger")),
        403,
        "42501",
        'permission denied to set role "gw_stranger"',
    )


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER"])
def test_bearer_scheme_is_case_insensitive(api: Gateway, scheme: str) -> None:
    token = mint_jwt({"role": "gw_user"})
    assert_json(
        api.get("/rpc/whoami", headers={"Authorization": f"{scheme} {token}"}), 200, "gw_user"
    )


def test_non_bearer_authorization_is_anonymous(api: Gateway) -> None:
    # Wai's extractBearerAuth finds no bearer token, so the request is anonymous.
    resp = api.get("/rpc/whoami", headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert_json(resp, 200, "gw_anon")


def test_exp_skew_boundary(api: Gateway) -> None:
    # Auth.hs: expired when now > exp + 30.
    now = int(time.time())
    ok = mint_jwt({"role": "gw_user", "exp": now - 20})
    assert_json(api.get("/rpc/whoami", headers=bearer(ok)), 200, "gw_user")
    late = mint_jwt({"role": "gw_user", "exp": now - 45})
    resp = api.get("/rpc/whoami", headers=bearer(late))
    assert resp.status_code == 401
    assert resp.json()["message"] == "JWT expired"


def test_claims_setting_carries_the_resolved_role(api: Gateway) -> None:
    # parseClaims inserts "role" into the claims, the anon role when the token has none.
    token = mint_jwt({"sub": "s-1"})
    resp = api.get("/rpc/request_context", headers=bearer(token))
    assert resp.status_code == 200
    assert resp.json()["claims"] == {"sub": "s-1", "role": "gw_anon"}

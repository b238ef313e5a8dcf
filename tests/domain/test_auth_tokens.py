"""The tokens api.login issues verify with a standard JWT library, using the secret that
`taproot up` hands to the gateway (auth.jwt_secret())."""

from __future__ import annotations

import json

import jwt
import pytest

from taproot.database import Database
from taproot.provision import seed


def _login(db: Database, email: str, password: str) -> tuple[dict[str, object], str]:
    with db.connect() as conn, conn.transaction():
        conn.execute("SET LOCAL ROLE anon")
        row = conn.execute("SELECT api.login(%s, %s)::text", (email, password)).fetchone()
        status = conn.execute("SELECT current_setting('response.status', true)").fetchone()
    assert row is not None and status is not None
    body: dict[str, object] = json.loads(str(row[0]))
    return body, str(status[0] or "")


def _secret(db: Database) -> str:
    with db.connect() as conn:
        row = conn.execute("SELECT auth.jwt_secret()").fetchone()
    assert row is not None
    return str(row[0])


def test_login_token_verifies_with_pyjwt(app_db: Database) -> None:
    seed(app_db)
    tokens, status = _login(app_db, "alice@demo.taproot.dev", "alice-demo-password")
    assert status == ""
    claims = jwt.decode(
        str(tokens["access_token"]), _secret(app_db), algorithms=["HS256"], audience="taproot"
    )
    assert claims["role"] == "authenticated"
    assert claims["email"] == "alice@demo.taproot.dev"
    assert claims["sub"] == "a11ce000-0000-4000-8000-000000000001"
    assert claims["exp"] - claims["iat"] == 3600 == tokens["expires_in"]
    assert claims["session_id"]


def test_token_does_not_verify_with_another_secret(app_db: Database) -> None:
    seed(app_db)
    tokens, _ = _login(app_db, "bob@demo.taproot.dev", "bob-demo-password")
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(str(tokens["access_token"]), "x" * 40, algorithms=["HS256"], audience="taproot")


def test_set_jwt_secret_changes_the_signing_key(app_db: Database) -> None:
    seed(app_db)
    new_secret = "a-fresh-secret-of-more-than-32-characters"
    with app_db.connect() as conn:
        conn.execute("SELECT auth.set_jwt_secret(%s)", (new_secret,))
    tokens, _ = _login(app_db, "carol@demo.taproot.dev", "carol-demo-password")
    claims = jwt.decode(
        str(tokens["access_token"]), new_secret, algorithms=["HS256"], audience="taproot"
    )
    assert claims["sub"] == "ca201000-0000-4000-8000-000000000003"


def test_bad_credentials_answer_401_with_the_same_body(app_db: Database) -> None:
    seed(app_db)
    wrong_password = _login(app_db, "alice@demo.taproot.dev", "not-her-password")
    unknown_email = _login(app_db, "nobody@demo.taproot.dev", "not-her-password")
    assert wrong_password == unknown_email
    body, status = wrong_password
    assert status == "401"
    assert body == {
        "code": "PT401",
        "message": "invalid email or password",
        "details": None,
        "hint": "Check the email and password, or sign up.",
    }

"""The account flows through the real gateway (PostgREST's dialect): verification required
(the production default) refuses an unverified login with 403 in PostgREST's error shape;
invitations are accepted by token, never by signing up; password reset answers the same for
unknown emails and ends the sessions; token routes answer 429 when throttled.

The tokens are read where only the mail has them (app.mail_messages, as superuser); the mail
delivery itself is tested with the worker and a real SMTP server in tests/mail."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest
import requests

from taproot.database import Database
from taproot.errors import TaprootError
from taproot.provision import set_verified_email_requirement, verified_email_required
from taproot.settings import Settings
from tests.stack import Gateway, make_tenant, start_gateway

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def accounts_db(pg_server: Database, template_db: Database) -> Iterator[Database]:
    name = f"taproot_accounts_{uuid.uuid4().hex[:8]}"
    pg_server.create(name, template=template_db.name)
    db = pg_server.with_name(name)
    set_verified_email_requirement(db, required=True)
    try:
        yield db
    finally:
        pg_server.drop(name)


@pytest.fixture(scope="module")
def gateway(accounts_db: Database, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    gw = start_gateway(accounts_db, tmp_path_factory.mktemp("accounts-logs"))
    try:
        yield gw
    finally:
        gw.process.stop()


def _mailed(db: Database, template: str, to: str) -> str:
    with psycopg.connect(db.url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT data->>'token' FROM app.mail_messages WHERE template = %s AND recipient = %s"
            " ORDER BY id DESC LIMIT 1",
            (template, to),
        ).fetchone()
    assert row is not None and row[0], (template, to)
    return str(row[0])


def test_an_unverified_login_is_a_403_until_the_mailed_token_is_spent(
    gateway: Gateway, accounts_db: Database
) -> None:
    account = {"email": "verify-me@example.com", "password": "correct horse battery"}
    signup = gateway.post("/rpc/signup", {**account, "name": "Vera"})
    assert signup.status_code == 200, signup.text
    assert "access_token" not in signup.json()
    assert signup.json()["email_verified"] is False

    refused = gateway.post("/rpc/login", account)
    assert refused.status_code == 403
    body = refused.json()
    assert set(body) == {"code", "message", "details", "hint"}
    assert body["code"] == "PT403"
    assert body["message"] == "the email address has not been verified yet"

    token = _mailed(accounts_db, "verify_email", account["email"])
    verified = gateway.post("/rpc/verify_email", {"token": token})
    assert verified.status_code == 200, verified.text
    assert verified.json()["email_verified"] is True
    again = gateway.post("/rpc/verify_email", {"token": token})
    assert again.status_code == 400
    assert again.json()["code"] == "PT400"

    assert gateway.post("/rpc/login", account).status_code == 200


def test_an_invitation_is_claimed_by_its_token_and_never_by_signing_up(
    gateway: Gateway, accounts_db: Database
) -> None:
    admin = make_tenant(accounts_db, role="admin")
    login = gateway.post("/rpc/login", {"email": admin.email, "password": admin.password})
    assert login.status_code == 200, login.text
    token = login.json()["access_token"]
    invited = "guest@example.com"
    resp = gateway.post(
        "/rpc/invite_member",
        {"workspace_id": str(admin.workspace_id), "email": invited, "role": "viewer"},
        token,
    )
    assert resp.status_code == 200, resp.text
    listed = gateway.get(f"/invitations?email=eq.{invited}", token).json()
    assert [(i["status"], i["role"]) for i in listed] == [("pending", "viewer")]

    takeover = gateway.post("/rpc/signup", {"email": invited, "password": "attacker password"})
    assert takeover.status_code == 409
    assert takeover.json()["message"] == "this email has a pending invitation"

    accepted = gateway.post(
        "/rpc/accept_invitation",
        {"token": _mailed(accounts_db, "invitation", invited), "password": "guest password!"},
    )
    assert accepted.status_code == 200, accepted.text
    member = accepted.json()["access_token"]
    workspaces = gateway.get(f"/workspaces?id=eq.{admin.workspace_id}", member).json()
    assert len(workspaces) == 1
    assert gateway.get("/invitations", member).json() == []  # a viewer manages none


def test_a_reset_answers_alike_for_unknown_emails_and_ends_the_sessions(
    gateway: Gateway, accounts_db: Database
) -> None:
    tenant = make_tenant(accounts_db)
    session = gateway.post("/rpc/login", {"email": tenant.email, "password": tenant.password})
    refresh = session.json()["refresh_token"]

    known = gateway.post("/rpc/request_password_reset", {"email": tenant.email})
    unknown = gateway.post("/rpc/request_password_reset", {"email": "nobody-" + tenant.email})
    assert known.status_code == unknown.status_code == 200
    strip = {"email"}
    assert {k: v for k, v in known.json().items() if k not in strip} == {
        k: v for k, v in unknown.json().items() if k not in strip
    }

    reset = gateway.post(
        "/rpc/reset_password",
        {
            "token": _mailed(accounts_db, "password_reset", tenant.email),
            "new_password": "a new password",
        },
    )
    assert reset.status_code == 200, reset.text
    assert reset.json()["sessions_ended"] == 1
    assert gateway.post("/rpc/refresh", {"refresh_token": refresh}).status_code == 401
    new = gateway.post("/rpc/login", {"email": tenant.email, "password": "a new password"})
    assert new.status_code == 200


def test_token_routes_answer_429_per_client_address(gateway: Gateway) -> None:
    headers = {"X-Forwarded-For": "198.51.100.23"}
    answers = [
        requests.post(
            gateway.url + "/rpc/reset_password",
            json={"token": f"guess-{n}", "new_password": "whatever password"},
            headers=headers,
            timeout=30,
        )
        for n in range(31)
    ]
    assert [a.status_code for a in answers[:30]] == [400] * 30
    assert answers[30].status_code == 429
    assert answers[30].json()["code"] == "PT429"


def test_the_setting_comes_from_the_environment() -> None:
    embedded, external = Settings(), Settings(DATABASE_URL="postgresql://db.example/app")
    assert verified_email_required(embedded, {}) is False
    assert verified_email_required(external, {}) is None
    assert verified_email_required(embedded, {"TAPROOT_REQUIRE_VERIFIED_EMAIL": "on"}) is True
    assert verified_email_required(external, {"TAPROOT_REQUIRE_VERIFIED_EMAIL": " OFF "}) is False
    with pytest.raises(TaprootError, match="TAPROOT_REQUIRE_VERIFIED_EMAIL must be on or off"):
        verified_email_required(embedded, {"TAPROOT_REQUIRE_VERIFIED_EMAIL": "sometimes"})


def test_the_setting_reaches_new_sessions(app_db: Database) -> None:
    def current() -> str:
        with psycopg.connect(app_db.url, autocommit=True) as conn:
            row = conn.execute(
                "SELECT current_setting('taproot.require_verified_email', true)"
            ).fetchone()
        assert row is not None
        return str(row[0])

    assert current() == "off"  # the fixture, as in development
    set_verified_email_requirement(app_db, required=True)
    assert current() == "on"

"""The account flows end to end: HTTP to the gateway, the token mailed by a real worker
over a real SMTP server, the link followed back through the gateway.

invite → mail → accept → member; sign up → mail → verify → log in; change the address →
mail to the new one → verify → log in with it; reset → mail → the new password works, the
old one and every old session do not. One database, gateway, worker and SMTP server serve
the module (tests/mail/flows.py); each test uses its own addresses.
"""

from __future__ import annotations

import pytest

from taproot.database import Database
from tests.mail.conftest import SmtpServer
from tests.mail.flows import address, gateway, login, mail_to, server, token_from
from tests.stack import Gateway, make_tenant, rows

__all__ = ["gateway", "server"]  # module fixtures, used by name

pytestmark = pytest.mark.slow


def test_invite_mail_accept_member(gateway: Gateway, server: SmtpServer, mail_db: Database) -> None:
    admin = make_tenant(mail_db, role="admin")
    session = login(gateway, admin.email, admin.password)
    assert session.status_code == 200, session.text
    invitee = address("invitee")
    invited = gateway.post(
        "/rpc/invite_member",
        {"workspace_id": str(admin.workspace_id), "email": invitee, "role": "member"},
        session.json()["access_token"],
    )
    assert invited.status_code == 200, invited.text

    received = mail_to(server, invitee)
    assert received.message["To"] == invitee
    assert "invited you to ws-" in received.message["Subject"]
    token = token_from(received, "/accept-invitation")

    accepted = gateway.post(
        "/rpc/accept_invitation", {"token": token, "password": "a-long-new-password", "name": "Ivy"}
    )
    assert accepted.status_code == 200, accepted.text
    member_token = accepted.json()["access_token"]
    memberships = gateway.get(
        f"/memberships?workspace_id=eq.{admin.workspace_id}&select=role,user_id", member_token
    )
    assert memberships.status_code == 200, memberships.text
    me = rows(mail_db, "SELECT id::text FROM api.users WHERE email = %s", invitee)[0]["id"]
    assert {"role": "member", "user_id": me} in memberships.json()
    assert login(gateway, invitee, "a-long-new-password").status_code == 200

    again = gateway.post("/rpc/accept_invitation", {"token": token, "password": "another-password"})
    assert again.status_code == 400 and again.json()["code"] == "PT400"
    [row] = rows(
        mail_db, "SELECT status, data FROM app.mail_messages WHERE recipient = %s", invitee
    )
    assert row["status"] == "sent" and "token" not in row["data"]


def test_signup_mail_verify_login(gateway: Gateway, server: SmtpServer) -> None:
    email = address("signup")
    signed = gateway.post(
        "/rpc/signup", {"email": email, "password": "pw-signup-long-1", "name": "Sam"}
    )
    assert signed.status_code == 200, signed.text
    assert signed.json()["email_verified"] is False
    refused = login(gateway, email, "pw-signup-long-1")
    assert refused.status_code == 403, refused.text

    received = mail_to(server, email)
    assert received.message["Subject"] == "Confirm your email address for Taproot"
    token = token_from(received, "/verify-email")
    verified = gateway.post("/rpc/verify_email", {"token": token})
    assert verified.status_code == 200, verified.text
    assert login(gateway, email, "pw-signup-long-1").status_code == 200
    again = gateway.post("/rpc/verify_email", {"token": token})
    assert again.status_code == 400 and again.json()["code"] == "PT400"


def test_reset_mail_new_password_and_old_sessions_end(
    gateway: Gateway, server: SmtpServer, mail_db: Database
) -> None:
    email = address("forgetful")
    assert gateway.post("/rpc/signup", {"email": email, "password": "pw-old-long-123"}).ok
    verify = token_from(mail_to(server, email), "/verify-email")
    assert gateway.post("/rpc/verify_email", {"token": verify}).ok
    sessions = [login(gateway, email, "pw-old-long-123").json() for _ in range(2)]

    asked = gateway.post("/rpc/request_password_reset", {"email": email})
    assert asked.status_code == 200, asked.text
    nobody = gateway.post("/rpc/request_password_reset", {"email": address("nobody")})
    assert nobody.status_code == 200  # the same answer: no enumeration
    assert {**nobody.json(), "email": email} == asked.json()

    received = mail_to(server, email, count=2)
    assert received.message["Subject"] == "Reset your Taproot password"
    token = token_from(received, "/reset-password")
    reset = gateway.post("/rpc/reset_password", {"token": token, "new_password": "pw-new-long-456"})
    assert reset.status_code == 200, reset.text
    assert reset.json()["sessions_ended"] >= 2

    assert login(gateway, email, "pw-new-long-456").status_code == 200
    assert login(gateway, email, "pw-old-long-123").status_code == 401
    for old in sessions:
        refreshed = gateway.post("/rpc/refresh", {"refresh_token": old["refresh_token"]})
        assert refreshed.status_code in (400, 401), refreshed.text
    reused = gateway.post(
        "/rpc/reset_password", {"token": token, "new_password": "pw-third-long-789"}
    )
    assert reused.status_code == 400 and reused.json()["code"] == "PT400"
    # the decoy request for an unknown address queued nothing
    assert (
        rows(
            mail_db,
            "SELECT count(*)::int AS n FROM app.mail_messages WHERE recipient LIKE 'nobody-%%'",
        )[0]["n"]
        == 0
    )


def test_email_change_mail_to_the_new_address_then_verify(
    gateway: Gateway, server: SmtpServer
) -> None:
    old, new = address("mover"), address("moved")
    assert gateway.post("/rpc/signup", {"email": old, "password": "pw-mover-long-1"}).ok
    assert gateway.post(
        "/rpc/verify_email", {"token": token_from(mail_to(server, old), "/verify-email")}
    ).ok
    access = login(gateway, old, "pw-mover-long-1").json()["access_token"]
    asked = gateway.post("/rpc/change_email", {"new_email": new}, access)
    assert asked.status_code == 200, asked.text

    received = mail_to(server, new)
    assert received.message["Subject"] == "Confirm your new email address for Taproot"
    text = received.message.get_body(preferencelist=("plain",))
    assert text is not None and new in text.get_content()
    token = token_from(received, "/confirm-email-change")
    assert len(server.to(old)) == 1  # nothing more to the old address
    confirmed = gateway.post("/rpc/verify_email", {"token": token})
    assert confirmed.status_code == 200, confirmed.text
    assert login(gateway, new, "pw-mover-long-1").status_code == 200
    assert login(gateway, old, "pw-mover-long-1").status_code == 401

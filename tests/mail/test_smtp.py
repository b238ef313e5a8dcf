"""workers.mail.smtp against a real SMTP server on loopback: what is sent, how refusals sort."""

from __future__ import annotations

from collections.abc import Callable
from email.message import EmailMessage

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword

from taproot.cluster import free_port
from tests.mail.conftest import Handler, SmtpServer
from workers.mail.smtp import (
    PermanentMailError,
    SmtpConfig,
    TransientMailError,
    compose,
    deliver,
)
from workers.mail.templates import render


def config(port: int, **overrides: object) -> SmtpConfig:
    values: dict[str, object] = {
        "host": "127.0.0.1",
        "port": port,
        "tls": "none",
        "user": "",
        "password": "",
        "timeout": 5.0,
    }
    values.update(overrides)
    return SmtpConfig(**values)  # type: ignore[arg-type]


def message(to: str, message_id: int = 1) -> EmailMessage:
    rendered = render(
        "verify_email", {"token": "tok", "expires_at": "x", "name": "Ann"}, "http://h"
    )
    return compose(
        rendered, sender="Taproot <no-reply@taproot.test>", recipient=to, message_id=message_id
    )


def test_a_message_arrives_as_text_and_html(smtp: SmtpServer) -> None:
    deliver(config(smtp.port), message("ann@example.org", 42))
    [got] = smtp.to("ann@example.org")
    assert got.sender == "no-reply@taproot.test"
    msg = got.message
    assert msg["Subject"] == "Confirm your email address for Taproot"
    assert msg["X-Taproot-Mail-Id"] == "42"
    assert "taproot-mail-42" in msg["Message-ID"]
    assert msg.get_content_type() == "multipart/alternative"
    text = msg.get_body(preferencelist=("plain",))
    html = msg.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    assert "http://h/verify-email?token=tok" in text.get_content()
    assert 'href="http://h/verify-email?token=tok"' in html.get_content()


def test_a_permanent_recipient_refusal(smtp: SmtpServer) -> None:
    smtp.handler.replies["gone@example.org"] = "550 5.1.1 No such user"
    with pytest.raises(PermanentMailError, match=r"550 5\.1\.1 No such user"):
        deliver(config(smtp.port), message("gone@example.org"))


def test_a_deferred_recipient_is_transient(smtp: SmtpServer) -> None:
    smtp.handler.replies["busy@example.org"] = "451 4.3.0 Try again later"
    with pytest.raises(TransientMailError, match="451"):
        deliver(config(smtp.port), message("busy@example.org"))


def test_a_refused_message_is_permanent_and_a_deferred_one_transient(smtp: SmtpServer) -> None:
    smtp.handler.data_reply = "554 5.6.0 Message content rejected"
    with pytest.raises(PermanentMailError, match="message refused: 554"):
        deliver(config(smtp.port), message("ann@example.org"))
    smtp.handler.data_reply = "452 4.3.1 Insufficient system storage"
    with pytest.raises(TransientMailError, match="message deferred: 452"):
        deliver(config(smtp.port), message("ann@example.org"))


def test_implicit_tls_to_a_plain_server_is_transient(smtp: SmtpServer) -> None:
    with pytest.raises(TransientMailError, match="unavailable"):
        deliver(config(smtp.port, tls="tls", timeout=2.0), message("ann@example.org"))


def test_no_server_is_transient() -> None:
    with pytest.raises(TransientMailError, match="unavailable"):
        deliver(config(free_port()), message("ann@example.org"))


def test_starttls_without_the_server_offering_it_is_transient(smtp: SmtpServer) -> None:
    with pytest.raises(TransientMailError, match="STARTTLS"):
        deliver(config(smtp.port, tls="starttls"), message("ann@example.org"))


def _authenticator(expected: tuple[bytes, bytes]) -> Callable[..., AuthResult]:
    def check(
        server: object, session: object, envelope: object, mechanism: str, auth_data: object
    ) -> AuthResult:
        ok = (
            isinstance(auth_data, LoginPassword)
            and (auth_data.login, auth_data.password) == expected
        )
        return AuthResult(success=ok)

    return check


def test_login_with_the_configured_credentials() -> None:
    server = SmtpServer(
        free_port(),
        Handler(),
        authenticator=_authenticator((b"mailer", b"s3cret-pass")),
        auth_require_tls=False,
    )
    server.start()
    try:
        deliver(
            config(server.port, user="mailer", password="s3cret-pass"),
            message("ann@example.org"),
        )
        assert len(server.to("ann@example.org")) == 1
    finally:
        server.stop()

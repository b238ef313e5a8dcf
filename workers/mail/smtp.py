"""Compose a rendered message and hand it to an SMTP server, sorting failures by what to do.

smtplib is blocking: the task calls `deliver` in a thread. Failures become one of two
errors the retry policy understands. `TransientMailError`: the server could not be
reached, hung up, timed out, answered 4xx, or refused our own session (TLS, login, sender:
configuration an operator can fix while the message waits). `PermanentMailError`: a 5xx
answer to the recipient or to the message itself, which no retry will change.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr

from workers.mail.templates import Rendered
from workers.settings import WorkerSettings


class TransientMailError(Exception):
    """Delivery may work later: retry with backoff."""


class PermanentMailError(Exception):
    """The server refused this message or recipient for good: fail without retrying."""


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    tls: str  # none | starttls | tls
    user: str
    password: str
    timeout: float

    @classmethod
    def from_settings(cls, settings: WorkerSettings) -> SmtpConfig:
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port_or_default,
            tls=settings.smtp_tls,
            user=settings.smtp_user,
            password=settings.smtp_password.get_secret_value(),
            timeout=settings.smtp_timeout,
        )


def compose(rendered: Rendered, *, sender: str, recipient: str, message_id: int) -> EmailMessage:
    """multipart/alternative: the text part first, the HTML part preferred by readers."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = recipient
    message["Subject"] = rendered.subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    message["Message-ID"] = make_msgid(idstring=f"taproot-mail-{message_id}", domain=domain)
    message["X-Taproot-Mail-Id"] = str(message_id)
    message.set_content(rendered.text)
    message.add_alternative(rendered.html, subtype="html")
    return message


def deliver(config: SmtpConfig, message: EmailMessage) -> None:
    """Send `message` (blocking); raises TransientMailError or PermanentMailError."""
    try:
        with _connect(config) as client:
            if config.tls == "starttls":
                client.starttls(context=ssl.create_default_context())
                client.ehlo()
            if config.user:
                client.login(config.user, config.password)
            refused = client.send_message(message)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        detail = "; ".join(
            f"{rcpt}: {code} {_text(msg)}" for rcpt, (code, msg) in exc.recipients.items()
        )
        if all(400 <= code < 500 for code in codes):
            raise TransientMailError(f"recipient deferred: {detail}") from exc
        raise PermanentMailError(f"recipient refused: {detail}") from exc
    except smtplib.SMTPDataError as exc:
        reply = f"{exc.smtp_code} {_text(exc.smtp_error)}"
        if 500 <= exc.smtp_code < 600:
            raise PermanentMailError(f"message refused: {reply}") from exc
        raise TransientMailError(f"message deferred: {reply}") from exc
    except smtplib.SMTPResponseException as exc:
        # 4xx anywhere, or 5xx to our session (sender, login): worth another try later.
        raise TransientMailError(
            f"SMTP server answered {exc.smtp_code} {_text(exc.smtp_error)}"
        ) from exc
    except (smtplib.SMTPException, OSError) as exc:
        # refused or dropped connections, timeouts, TLS failures, no STARTTLS offered
        raise TransientMailError(
            f"SMTP server {config.host}:{config.port} unavailable: {type(exc).__name__}: {exc}"
        ) from exc
    if refused:  # some recipients refused while others were accepted: we send to one only
        raise PermanentMailError(f"recipient refused: {refused}")


def _connect(config: SmtpConfig) -> smtplib.SMTP:
    if config.tls == "tls":
        return smtplib.SMTP_SSL(
            config.host, config.port, timeout=config.timeout, context=ssl.create_default_context()
        )
    return smtplib.SMTP(config.host, config.port, timeout=config.timeout)


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply

"""Fixtures for the mail suite: a real SMTP server on loopback and real worker processes.

`smtp` is an aiosmtpd server on a free port whose handler keeps every message it accepts
and answers RCPT for configured addresses with a chosen reply (a 550 to reject for good, a
451 to defer), so the tests see what a mail server would do. It can be stopped and started
again on the same port to play an outage. `mail_workers` starts `python -m workers`
against the module's database, configured for that server (or for a local inbox).
"""

from __future__ import annotations

import email
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import psycopg
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from taproot.cluster import free_port
from taproot.database import Database
from tests.stack import Process, start_worker, worker_env

Spawn = Callable[..., Process]


@dataclass
class Received:
    sender: str
    recipients: list[str]
    message: EmailMessage


@dataclass
class Handler:
    """aiosmtpd's handler hooks: refuse what `replies` says, keep the rest."""

    replies: dict[str, str] = field(default_factory=dict)  # recipient → SMTP reply
    data_reply: str | None = None  # answer DATA with this instead of accepting
    received: list[Received] = field(default_factory=list)

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        reply = self.replies.get(address.lower())
        if reply is not None:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.data_reply is not None:
            return self.data_reply
        content = envelope.original_content or b""
        parsed = email.message_from_bytes(content, policy=default_policy)
        assert isinstance(parsed, EmailMessage)
        self.received.append(
            Received(str(envelope.mail_from), [str(r) for r in envelope.rcpt_tos], parsed)
        )
        return "250 Message accepted for delivery"


class SmtpServer:
    """A real SMTP server on 127.0.0.1:`port`, stoppable and restartable."""

    def __init__(self, port: int, handler: Handler, **kwargs: Any) -> None:
        self.port = port
        self.handler = handler
        self._kwargs = kwargs
        self._controller: Controller | None = None

    def start(self) -> None:
        self._controller = Controller(
            self.handler, hostname="127.0.0.1", port=self.port, **self._kwargs
        )
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def to(self, recipient: str) -> list[Received]:
        return [r for r in self.handler.received if recipient in r.recipients]


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer(free_port(), Handler())
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def mail_db(pg_server: Database, template_db: Database) -> Iterator[Database]:
    name = f"taproot_mail_{uuid.uuid4().hex[:8]}"
    pg_server.create(name, template=template_db.name)
    try:
        yield pg_server.with_name(name)
    finally:
        pg_server.drop(name)


@pytest.fixture(scope="module")
def log_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("mail-logs")


# Retries in a fraction of a second, so an outage test takes seconds.
FAST_MAIL_ENV = {
    "TAPROOT_SMTP_TLS": "none",
    "TAPROOT_MAIL_FROM": "Taproot Tests <no-reply@taproot.test>",
    "TAPROOT_PUBLIC_URL": "https://app.taproot.test",
    "TAPROOT_MAIL_RETRY_BASE_SECONDS": "0.2",
    "TAPROOT_MAIL_RETRY_CAP_SECONDS": "0.5",
    "TAPROOT_SMTP_TIMEOUT_SECONDS": "5",
}


@pytest.fixture
def spawn_mail_worker(mail_db: Database, log_dir: Path) -> Iterator[Spawn]:
    """A worker on the mail queue with FAST_MAIL_ENV and `env`; stopped at teardown."""
    started: list[Process] = []

    def start(**env: str) -> Process:
        worker = start_worker(
            mail_db,
            log_dir,
            name=f"mail-worker-{len(started) + 1}",
            args=("--queues", "mail"),
            env=worker_env(mail_db, **{**FAST_MAIL_ENV, **env}),
        )
        started.append(worker)
        return worker

    yield start
    for process in started:
        code = process.stop()
        print(f"--- {process.name} (pid {process.pid}, exit {code}) ---")
        print(process.output()[-6000:])


def queue_mail(db: Database, template: str, to: str, data: dict[str, Any]) -> int:
    """app.queue_mail as the definer functions call it (the owner; here the superuser)."""
    with psycopg.connect(db.url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT app.queue_mail(%s, %s, %s::jsonb)",
            (template, to, Jsonb(data)),
        ).fetchone()
    assert row is not None
    return int(row[0])


def message_row(db: Database, message_id: int) -> dict[str, Any]:
    with psycopg.connect(db.url, autocommit=True, row_factory=dict_row) as conn:
        row = conn.execute(
            "SELECT * FROM app.mail_messages WHERE id = %s", (message_id,)
        ).fetchone()
    assert row is not None
    return row


def unique_address(label: str) -> str:
    return f"{label}-{uuid.uuid4().hex[:8]}@example.org"

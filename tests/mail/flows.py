"""What the flow tests share: a module's SMTP server, gateway and mail worker, and reading
the token back out of the delivered mail."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from taproot.cluster import free_port
from taproot.database import Database
from tests.mail.conftest import FAST_MAIL_ENV, Handler, Received, SmtpServer
from tests.stack import Gateway, start_gateway, start_worker, wait_for, worker_env

PUBLIC_URL = "https://app.taproot.test"


@pytest.fixture(scope="module")
def server() -> Iterator[SmtpServer]:
    smtp = SmtpServer(free_port(), Handler())
    smtp.start()
    try:
        yield smtp
    finally:
        smtp.stop()


@pytest.fixture(scope="module")
def gateway(mail_db: Database, log_dir: Path, server: SmtpServer) -> Iterator[Gateway]:
    """The gateway and one mail worker on the module's database."""
    worker = start_worker(
        mail_db,
        log_dir,
        name="flow-worker",
        args=("--queues", "mail"),
        env=worker_env(
            mail_db,
            **FAST_MAIL_ENV,
            TAPROOT_SMTP_HOST="127.0.0.1",
            TAPROOT_SMTP_PORT=str(server.port),
        ),
    )
    try:
        gw = start_gateway(mail_db, log_dir)
        try:
            yield gw
        finally:
            print(f"--- gateway (exit {gw.process.stop()}) ---\n{gw.process.output()[-4000:]}")
    finally:
        print(f"--- flow-worker (exit {worker.stop()}) ---\n{worker.output()[-4000:]}")


def address(label: str) -> str:
    return f"{label}-{uuid.uuid4().hex[:8]}@flows.test"


def mail_to(server: SmtpServer, to: str, count: int = 1) -> Received:
    """The `count`-th message delivered to `to` (waits for it)."""
    found = wait_for(
        lambda: server.to(to)[count - 1 : count], timeout=30, what=f"mail {count} to {to}"
    )
    return found[0]


def token_from(received: Received, path: str) -> str:
    """The token of the link to `path` in the text part (and the HTML part agrees)."""
    text = received.message.get_body(preferencelist=("plain",))
    html = received.message.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    links = re.findall(re.escape(PUBLIC_URL + path) + r"\?token=\S+", text.get_content())
    assert len(links) == 1, text.get_content()
    assert f'href="{links[0]}"' in html.get_content()
    [token] = parse_qs(urlsplit(str(links[0])).query)["token"]
    return str(token)


def login(gw: Gateway, email: str, password: str) -> Any:
    return gw.post("/rpc/login", {"email": email, "password": password})

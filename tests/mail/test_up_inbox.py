"""`taproot up` without an SMTP host: the mail of a sign-up lands in the stack's local inbox,
`taproot mail` shows it with a link to this stack, and the link's token verifies the address."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from urllib.parse import unquote

import httpx
import pytest

from tests.ops.conftest import start_up
from tests.stack import wait_for

pytestmark = pytest.mark.slow


def test_up_keeps_mail_in_the_local_inbox_and_taproot_mail_reads_it(tmp_path: Path) -> None:
    unset = ("TAPROOT_SMTP_HOST", "TAPROOT_MAIL_DIR", "TAPROOT_PUBLIC_URL")
    with start_up(tmp_path, unset=unset) as stack:
        assert f"kept in the local inbox {stack.home.resolve() / 'mail'}" in stack.output()
        email = f"newcomer-{uuid.uuid4().hex[:8]}@example.org"
        signed = httpx.post(
            f"{stack.api}/rpc/signup",
            json={"email": email, "password": "pw-newcomer-long-1", "name": "Nell"},
            timeout=30,
        )
        assert signed.status_code == 200, signed.text

        inbox = stack.home / "mail" / "new"
        wait_for(lambda: inbox.is_dir() and any(inbox.iterdir()), timeout=30, what="mail kept")
        listing = stack.taproot("mail")
        assert listing.returncode == 0, listing.stderr
        [line] = [ln for ln in listing.stdout.splitlines() if email in ln]
        assert "Confirm your email address for Taproot" in line

        last = stack.taproot("mail", "last")
        assert last.returncode == 0, last.stderr
        assert f"To: {email}" in last.stdout
        base = f"http://localhost:{stack.env['API_PORT']}/verify-email?token="
        match = re.search(re.escape(base) + r"(\S+)", last.stdout)
        assert match is not None, last.stdout
        verified = httpx.post(
            f"{stack.api}/rpc/verify_email", json={"token": unquote(match.group(1))}, timeout=30
        )
        assert verified.status_code == 200, verified.text

"""mail.send end to end: app.queue_mail → a real worker process → a real SMTP server.

Delivered with its parts and link and the token scrubbed; an SMTP outage retried until the
server is back; a permanent refusal failed once, without a retry loop; a duplicated job
sends nothing twice; without an SMTP host, the local inbox and `taproot mail`.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import psycopg
import pytest

from taproot import ROOT
from taproot.cluster import free_port
from taproot.database import Database
from tests.mail.conftest import (
    FAST_MAIL_ENV,
    Handler,
    SmtpServer,
    Spawn,
    message_row,
    queue_mail,
    unique_address,
)
from tests.stack import rows, start_worker, wait_for, worker_env

pytestmark = pytest.mark.slow

INVITATION = {
    "token": "raw/token+1",
    "expires_at": "2026-12-10T12:00:00Z",
    "workspace_name": "Acme <Labs>",
    "inviter_name": "Alice",
    "role": "member",
}


def wait_message(
    db: Database, message_id: int, *statuses: str, timeout: float = 30.0
) -> dict[str, Any]:
    def probe() -> dict[str, Any] | None:
        row = message_row(db, message_id)
        return row if row["status"] in statuses else None

    return wait_for(probe, timeout=timeout, what=f"mail {message_id} is {'/'.join(statuses)}")


def test_a_queued_message_is_delivered_with_its_parts_and_link(
    mail_db: Database, smtp: SmtpServer, spawn_mail_worker: Spawn
) -> None:
    spawn_mail_worker(TAPROOT_SMTP_HOST="127.0.0.1", TAPROOT_SMTP_PORT=str(smtp.port))
    to = unique_address("invitee")
    message_id = queue_mail(mail_db, "invitation", to, INVITATION)
    row = wait_message(mail_db, message_id, "sent")
    assert row["attempts"] == 1 and row["sent_at"] is not None and row["last_error"] is None
    assert "token" not in row["data"] and row["data"]["workspace_name"] == "Acme <Labs>"
    [got] = smtp.to(to)
    msg = got.message
    assert got.sender == "no-reply@taproot.test"
    assert msg["From"] == "Taproot Tests <no-reply@taproot.test>"
    assert msg["Subject"] == "Alice invited you to Acme <Labs> on Taproot"
    link = "https://app.taproot.test/accept-invitation?token=raw%2Ftoken%2B1"
    text = msg.get_body(preferencelist=("plain",))
    html = msg.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    assert link in text.get_content()
    assert f'href="{link}"' in html.get_content()
    assert "Acme &lt;Labs&gt;" in html.get_content()
    [job] = rows(
        mail_db,
        "SELECT status::text, attempts FROM procrastinate.procrastinate_jobs WHERE id = %s",
        row["job_id"],
    )
    assert job == {"status": "succeeded", "attempts": 1}


def test_smtp_down_is_retried_and_the_mail_arrives_when_it_returns(
    mail_db: Database, spawn_mail_worker: Spawn
) -> None:
    port = free_port()
    spawn_mail_worker(TAPROOT_SMTP_HOST="127.0.0.1", TAPROOT_SMTP_PORT=str(port))
    to = unique_address("patient")
    message_id = queue_mail(
        mail_db, "password_reset", to, {"token": "tok-r", "expires_at": "x", "name": "Pat"}
    )

    def retried() -> dict[str, Any] | None:
        row = message_row(mail_db, message_id)
        return row if row["attempts"] >= 2 else None

    row = wait_for(retried, timeout=30, what="two failed attempts while SMTP is down")
    assert row["status"] == "queued"
    assert "unavailable" in row["last_error"]
    assert row["data"]["token"] == "tok-r"  # still deliverable
    server = SmtpServer(port, Handler())
    server.start()
    try:
        row = wait_message(mail_db, message_id, "sent")
        [got] = server.to(to)
        text = got.message.get_body(preferencelist=("plain",))
        assert text is not None
        assert "https://app.taproot.test/reset-password?token=tok-r" in text.get_content()
    finally:
        server.stop()
    assert row["attempts"] >= 2 and row["last_error"] is None and "token" not in row["data"]


def test_a_permanent_refusal_fails_without_a_retry_loop(
    mail_db: Database, smtp: SmtpServer, spawn_mail_worker: Spawn
) -> None:
    worker = spawn_mail_worker(TAPROOT_SMTP_HOST="127.0.0.1", TAPROOT_SMTP_PORT=str(smtp.port))
    to = unique_address("nobody")
    smtp.handler.replies[to] = "550 5.1.1 <nobody>: Recipient address rejected"
    message_id = queue_mail(mail_db, "verify_email", to, {"token": "tok-v", "expires_at": "x"})
    row = wait_message(mail_db, message_id, "failed")
    assert row["attempts"] == 1
    assert "550 5.1.1" in row["last_error"] and "token" not in row["data"]
    [job] = rows(
        mail_db,
        "SELECT status::text, attempts FROM procrastinate.procrastinate_jobs WHERE id = %s",
        row["job_id"],
    )
    assert job == {"status": "succeeded", "attempts": 1}  # the job is done; the message says why
    # the worker stays quiet about it afterwards: no further attempts
    wait_for(lambda: f"mail.send[{row['job_id']}]" in worker.output(), timeout=5, what="job log")
    assert message_row(mail_db, message_id)["attempts"] == 1
    assert smtp.to(to) == []


def test_a_duplicated_job_does_not_send_twice(
    mail_db: Database, smtp: SmtpServer, spawn_mail_worker: Spawn
) -> None:
    spawn_mail_worker(TAPROOT_SMTP_HOST="127.0.0.1", TAPROOT_SMTP_PORT=str(smtp.port))
    to = unique_address("once")
    message_id = queue_mail(mail_db, "verify_email", to, {"token": "tok-1x", "expires_at": "x"})
    wait_message(mail_db, message_id, "sent")
    with psycopg.connect(mail_db.url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT app.defer_job('mail.send', jsonb_build_object('message_id', %s::bigint),"
            " 'mail')",
            (message_id,),
        ).fetchone()
    assert row is not None
    again = int(row[0])

    def finished() -> str | None:
        [job] = rows(
            mail_db,
            "SELECT status::text FROM procrastinate.procrastinate_jobs WHERE id = %s",
            again,
        )
        return job["status"] if job["status"] in ("succeeded", "failed") else None

    assert wait_for(finished, timeout=20, what="the duplicated job ran") == "succeeded"
    assert len(smtp.to(to)) == 1
    assert message_row(mail_db, message_id)["attempts"] == 1


def test_without_an_smtp_host_mail_is_kept_in_the_local_inbox(
    mail_db: Database, spawn_mail_worker: Spawn, tmp_path: Path
) -> None:
    inbox = tmp_path / "mail"
    spawn_mail_worker(TAPROOT_MAIL_DIR=str(inbox))
    first = unique_address("first")
    second = unique_address("second")
    one = queue_mail(
        mail_db, "verify_email", first, {"token": "tok-a", "expires_at": "x", "name": "A"}
    )
    wait_message(mail_db, one, "kept")
    two = queue_mail(
        mail_db,
        "email_change",
        second,
        {"token": "tok b", "expires_at": "x", "name": "B", "new_email": second},
    )
    row = wait_message(mail_db, two, "kept")
    assert row["sent_at"] is not None and "token" not in row["data"]
    assert len(list((inbox / "new").iterdir())) == 2

    env = {**os.environ, "TAPROOT_MAIL_DIR": str(inbox)}

    def taproot(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(ROOT / "bin" / "taproot"), "mail", *args],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    listing = taproot()
    assert listing.returncode == 0, listing.stderr
    lines = listing.stdout.splitlines()
    assert len(lines) == 2
    assert lines[0].split()[0] == "1" and first in lines[0]
    assert "Confirm your email address for Taproot" in lines[0]
    assert lines[1].split()[0] == "2" and second in lines[1]
    assert "Confirm your new email address for Taproot" in lines[1]

    last = taproot("last")
    assert last.returncode == 0, last.stderr
    assert f"To: {second}" in last.stdout
    assert "https://app.taproot.test/confirm-email-change?token=tok%20b" in last.stdout
    assert "<p>" not in last.stdout  # the text part

    shown = taproot("show", "1")
    assert "https://app.taproot.test/verify-email?token=tok-a" in shown.stdout
    html = taproot("show", "1", "--html")
    assert 'href="https://app.taproot.test/verify-email?token=tok-a"' in html.stdout

    missing = taproot("show", "3")
    assert missing.returncode == 1
    assert "there is no message 3: choose 1 to 2" in missing.stderr


def test_the_mail_record_is_pruned_after_its_retention_but_queued_mail_is_kept(
    mail_db: Database, smtp: SmtpServer, spawn_mail_worker: Spawn, log_dir: Path
) -> None:
    """maintenance.prune_mail (every second here): mail that left the queue more than the
    retention ago is deleted; a message still queued is kept, however old."""
    sender = spawn_mail_worker(TAPROOT_SMTP_HOST="127.0.0.1", TAPROOT_SMTP_PORT=str(smtp.port))
    old = queue_mail(mail_db, "invitation", unique_address("old"), INVITATION)
    wait_message(mail_db, old, "sent")
    sender.stop()  # nobody delivers what is queued next
    parked = queue_mail(mail_db, "invitation", unique_address("parked"), INVITATION)
    with psycopg.connect(mail_db.url, autocommit=True) as conn:
        conn.execute(
            "UPDATE app.mail_messages SET created_at = now() - interval '40 days'"
            " WHERE id = ANY(%s)",
            ([old, parked],),
        )
    env = {"TAPROOT_SCHEDULE_PRUNE_MAIL": "* * * * * *", "TAPROOT_MAIL_RETENTION_DAYS": "30"}
    pruner = start_worker(
        mail_db,
        log_dir,
        name="mail-pruner",
        args=("--queues", "maintenance"),
        env=worker_env(mail_db, **{**FAST_MAIL_ENV, **env}),
    )
    try:

        def pruned() -> bool:
            found = rows(
                mail_db, "SELECT id FROM app.mail_messages WHERE id = ANY(%s)", [old, parked]
            )
            return [r["id"] for r in found] == [parked]

        wait_for(pruned, timeout=20, what="the old sent message pruned")
        assert message_row(mail_db, parked)["status"] == "queued"
    finally:
        pruner.stop()

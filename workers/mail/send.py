"""One delivery attempt of a queued message, from claim to a recorded outcome.

claim (only a queued message starts an attempt, so a sent one is never sent twice) →
render → compose → SMTP in a thread, or the local inbox when no SMTP host is set →
record sent / kept (the token is scrubbed from the row then) or failed. A transient SMTP
failure records its error and raises RetryLater with the policy's decision, or fails the
message once the attempts are spent; a permanent one fails it at once, and the job ends
normally: the message row, not the job, says what happened.

Delivery is at least once: if the worker dies after the server accepted the message but
before the outcome committed, the retried job sends it again (the token still works once).
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import psycopg
from psycopg_pool import AsyncConnectionPool

from taproot import logs
from taproot.sqlfiles import named_queries
from workers.mail import inbox
from workers.mail.smtp import (
    PermanentMailError,
    SmtpConfig,
    TransientMailError,
    compose,
    deliver,
)
from workers.mail.templates import MailTemplateError, render
from workers.retry import RetryLater, TaprootRetry
from workers.settings import WorkerSettings

log = logging.getLogger("workers.mail")

Pool = AsyncConnectionPool[psycopg.AsyncConnection[Any]]


@dataclass(frozen=True)
class Claim:
    message_id: int
    attempt: int
    template: str
    recipient: str
    data: dict[str, Any]


class Mailer:
    """Delivers messages; one per worker process (it holds the settings and the policy)."""

    def __init__(self, settings: WorkerSettings, strategy: TaprootRetry) -> None:
        self.settings = settings
        self.strategy = strategy
        self.smtp = SmtpConfig.from_settings(settings) if settings.smtp_host else None
        self.mail_dir = Path(settings.mail_dir)
        self.sql = named_queries("workers", "mail")
        if self.smtp is None:
            log.warning(
                "TAPROOT_SMTP_HOST is not set: mail is kept in the local inbox %s "
                "(`taproot mail` reads it), never sent",
                self.mail_dir,
            )

    async def send(self, pool: Pool, message_id: int) -> str:
        """Attempt delivery of message `message_id`; a line saying how it went."""
        claim = await self._claim(pool, message_id)
        if claim is None:
            return "skipped: the message was already sent, kept or failed"
        try:
            rendered = render(claim.template, claim.data, self.settings.public_url)
        except MailTemplateError as exc:
            return await self._finish(pool, claim, "failed", str(exc))
        message = compose(
            rendered,
            sender=self.settings.mail_from,
            recipient=claim.recipient,
            message_id=message_id,
        )
        try:
            status = await self._deliver(message)
        except PermanentMailError as exc:
            log.warning("mail %s to %s failed for good: %s", message_id, claim.recipient, exc)
            return await self._finish(pool, claim, "failed", str(exc))
        except TransientMailError as exc:
            # The message's own attempt count: it also counts duplicated jobs of one message.
            decision = self.strategy.decide(exc, claim.attempt)
            if decision is None:
                log.warning("mail %s gave up after %s attempts: %s", message_id, claim.attempt, exc)
                return await self._finish(
                    pool, claim, "failed", f"{exc} (gave up after {claim.attempt} attempts)"
                )
            log.info("mail %s attempt %s failed, will retry: %s", message_id, claim.attempt, exc)
            await self._finish(pool, claim, "queued", str(exc))
            raise RetryLater(exc, decision) from exc
        log.info("mail %s (%s) to %s: %s", message_id, claim.template, claim.recipient, status)
        return await self._finish(pool, claim, status)

    async def _deliver(self, message: EmailMessage) -> str:
        """'sent' over SMTP, or 'kept' in the local inbox when no SMTP host is set."""
        if self.smtp is None:
            try:
                await asyncio.to_thread(inbox.keep, self.mail_dir, message)
            except OSError as exc:  # a full or unwritable disk may be fixed: retry
                raise TransientMailError(f"local inbox {self.mail_dir}: {exc}") from exc
            return "kept"
        await asyncio.to_thread(deliver, self.smtp, message)
        return "sent"

    async def _claim(self, pool: Pool, message_id: int) -> Claim | None:
        async with pool.connection() as conn, conn.transaction():
            row = await (await conn.execute(self.sql["claim"], {"message": message_id})).fetchone()
        if row is None:
            return None
        attempt, template, recipient, data, request_id = row
        if request_id is not None and logs.current() is None:
            logs.bind(logs.RequestContext(str(request_id)))  # this job's log lines carry it
        if isinstance(data, str):
            data = json.loads(data)
        return Claim(message_id, int(attempt), str(template), str(recipient), dict(data))

    async def _finish(self, pool: Pool, claim: Claim, status: str, error: str | None = None) -> str:
        async with pool.connection() as conn, conn.transaction():
            await conn.execute(
                self.sql["finish"], {"message": claim.message_id, "status": status, "error": error}
            )
        return f"{status}{': ' + error if error else ''}"

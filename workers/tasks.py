"""Procrastinate tasks: small functions registered on the one App.

Queue, retry policy and names are declared here on the task; the work itself is in plain
modules (workers.ai_run, workers.mail.send) that tests can call too.
"""

from __future__ import annotations

import functools

from procrastinate import JobContext

from workers.ai_run import Runner
from workers.app import app, pool
from workers.mail.retry import MailRetry
from workers.mail.send import Mailer
from workers.metrics import timed
from workers.retry import TaprootRetry
from workers.settings import settings

# Settings are read at import, as the App's connector already does.
RETRY = TaprootRetry(
    max_attempts=settings().max_attempts, base=settings().retry_base, cap=settings().retry_cap
)
MAIL_RETRY = MailRetry(
    max_attempts=settings().mail_max_attempts,
    base=settings().mail_retry_base,
    cap=settings().mail_retry_cap,
)


@functools.cache
def runner() -> Runner:
    return Runner(settings(), RETRY)


@app.task(name="ai.run_request", queue="ai", pass_context=True, retry=RETRY)
@timed("ai.run_request")
async def run_request(context: JobContext, request_id: str) -> str:
    """Run one attempt of AI request `request_id` (deferred by the request's insert trigger)."""
    assert context.job.id is not None
    outcome = await runner().run(pool(), request_id, context.job.id, context.abort_reason)
    return f"{outcome.status}{': ' + outcome.detail if outcome.detail else ''}"


@functools.cache
def mailer() -> Mailer:
    return Mailer(settings(), MAIL_RETRY)


@app.task(name="mail.send", queue="mail", pass_context=True, retry=MAIL_RETRY)
@timed("mail.send")
async def send_mail(context: JobContext, message_id: int) -> str:
    """Deliver account mail `message_id` (deferred by app.queue_mail with its token)."""
    return await mailer().send(pool(), message_id)


@app.task(name="noop", queue="default")
@timed("noop")
async def noop() -> None:
    """Does nothing: the queue's own cost, for benchmarks and health probes."""

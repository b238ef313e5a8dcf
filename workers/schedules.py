"""Periodic tasks: crash recovery, retention and roll-ups.

Procrastinate defers each period's job once, whatever the number of workers (a unique
row per task and timestamp in procrastinate_periodic_defers), so every period runs once.

Crash recovery follows Procrastinate's documented recipe: a job still `doing` whose
worker stopped heart-beating is retried. A worker that was only frozen and comes back
late finds its request's attempt number moved on, and its outcome is discarded
(app.finish_ai_request is fenced by attempt).
"""

from __future__ import annotations

import datetime
import logging

from procrastinate import JobContext, builtin_tasks
from procrastinate.exceptions import ProcrastinateException

from taproot.sqlfiles import named_queries
from workers.app import app, pool
from workers.settings import settings

log = logging.getLogger("workers.schedules")
_SQL = named_queries("workers", "maintenance")
_config = settings()


@app.periodic(cron=_config.reaper_cron, periodic_id="stalled")
@app.task(name="maintenance.retry_stalled_jobs", queue="maintenance", pass_context=True)
async def retry_stalled_jobs(context: JobContext, timestamp: int) -> int:
    manager = context.app.job_manager
    retried = 0
    for job in await manager.get_stalled_jobs(seconds_since_heartbeat=_config.stalled_after):
        try:
            await manager.retry_job(job)
        except ProcrastinateException:
            continue  # finished or retried meanwhile (by its worker, or another reaper)
        retried += 1
        log.warning("retried stalled job %s (%s)", job.id, job.task_name)
    return retried


@app.periodic(cron=_config.prune_events_cron, periodic_id="events")
@app.task(name="maintenance.prune_events", queue="maintenance", pass_context=True)
async def prune_events(context: JobContext, timestamp: int) -> int:
    return await _scalar(context, "prune_events", _config.event_retention_days)


@app.periodic(cron=_config.prune_mail_cron, periodic_id="mail")
@app.task(name="maintenance.prune_mail", queue="maintenance", pass_context=True)
async def prune_mail(context: JobContext, timestamp: int) -> int:
    """Delete the record of account mail that left the queue more than the retention ago."""
    return await _scalar(context, "prune_mail", _config.mail_retention_days)


@app.periodic(cron=_config.prune_cache_cron, periodic_id="cache")  # and the ledger's loose ends
@app.task(name="maintenance.prune_cache", queue="maintenance", pass_context=True)
async def prune_cache(context: JobContext, timestamp: int) -> int:
    settled = await _scalar(context, "settle_pending")
    if settled:
        log.warning("settled %s usage rows whose caller stopped before settling", settled)
    released = await _scalar(context, "release_reservations")
    if released:
        log.warning("released %s expired budget reservations", released)
    await _scalar(context, "prune_rate_limits")
    return await _scalar(context, "prune_cache")


@app.periodic(cron=_config.rollup_cron, periodic_id="usage")
@app.task(name="maintenance.rollup_usage", queue="maintenance", pass_context=True)
async def rollup_usage(context: JobContext, timestamp: int) -> int:
    """Reconcile yesterday's usage_daily rows with the usage ledger (past days only)."""
    day = datetime.datetime.fromtimestamp(timestamp, datetime.UTC).date()
    return await _scalar(context, "rollup_usage", day - datetime.timedelta(days=1))


@app.periodic(cron=_config.prune_jobs_cron, periodic_id="jobs")
@app.task(name="maintenance.prune_jobs", queue="maintenance", pass_context=True)
async def prune_jobs(context: JobContext, timestamp: int) -> None:
    await builtin_tasks.remove_old_jobs(
        context,
        max_hours=_config.job_retention_hours,
        remove_failed=True,
        remove_cancelled=True,
        remove_aborted=True,
    )


async def _scalar(context: JobContext, name: str, *args: object) -> int:
    async with pool().connection() as conn, conn.transaction():
        row = await (await conn.execute(_SQL[name], args)).fetchone()
    return int(row[0] or 0) if row else 0

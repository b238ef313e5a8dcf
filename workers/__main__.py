"""`python -m workers` (what `taproot worker` runs): one Procrastinate worker process.

Procrastinate's own worker, with Taproot's settings. SIGTERM or SIGINT stops it
gracefully: no new jobs, in-flight jobs get TAPROOT_WORKER_SHUTDOWN_TIMEOUT seconds, the
rest are aborted (and retried, by the retry strategy), and the process exits 0. If the
worker stops by itself (PostgreSQL went away under its listener), it starts again after a
pause instead of exiting, so a database restart needs no operator. Logs are JSON lines
unless stderr is a terminal (TAPROOT_LOG_FORMAT, taproot/logs.py); a job deferred by an
HTTP request logs that request's id from its claim on.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys

from taproot import logs
from workers.settings import SettingsError, settings

log = logging.getLogger("workers")
RESTART_PAUSE = 2.0


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="taproot worker", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--concurrency", type=int, help="jobs run at once (TAPROOT_WORKER_CONCURRENCY)"
    )
    parser.add_argument(
        "--queues", help="comma-separated queues (TAPROOT_WORKER_QUEUES; default all)"
    )
    parser.add_argument("--name", default=None, help="worker name in logs")
    return parser.parse_args(argv)


async def _serve(args: argparse.Namespace) -> int:
    from workers.app import app, pool
    from workers.metrics import SAMPLING
    from workers.tasks import runner

    config = settings()
    queues: list[str] = [q for q in (args.queues or "").split(",") if q] or config.queue_list or []
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    while not stop.is_set():
        try:
            async with app.open_async():
                # pool, breakers and heartbeat gauges; GET /metrics when a port is set
                beat = asyncio.create_task(
                    SAMPLING.run(pool(), runner().breakers, config.db_uri), name="metrics"
                )
                run = asyncio.create_task(
                    app.run_worker_async(
                        queues=queues or None,  # type: ignore[arg-type]  # None: every queue
                        concurrency=args.concurrency or config.concurrency,
                        name=args.name,
                        install_signal_handlers=False,
                        shutdown_graceful_timeout=config.shutdown_timeout,
                        update_heartbeat_interval=config.heartbeat_interval,
                        stalled_worker_timeout=config.stalled_after,
                        fetch_job_polling_interval=config.polling_interval,
                        delete_jobs="never",
                    )
                )
                stopping = asyncio.create_task(stop.wait())
                await asyncio.wait({run, stopping}, return_when=asyncio.FIRST_COMPLETED)
                if not run.done():
                    run.cancel()  # the worker's graceful shutdown: wait, then abort the rest
                with contextlib.suppress(asyncio.CancelledError):
                    await run
                stopping.cancel()
                beat.cancel()
        except Exception:
            log.exception("the worker stopped on an error")
        if not stop.is_set():
            log.error("restarting the worker in %.0f s", RESTART_PAUSE)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), RESTART_PAUSE)
    return 0


def main(argv: list[str] | None = None) -> int:
    try:
        logs.configure(logging.INFO)
        config = settings()
    except (SettingsError, ValueError) as exc:
        print(f"worker: {exc}", file=sys.stderr)
        return 2
    logging.getLogger("procrastinate").setLevel(config.log_level.upper())
    args = _arguments(argv)
    return asyncio.run(_serve(args))


if __name__ == "__main__":
    sys.exit(main())

"""When a failed job runs again: Procrastinate's retry strategy API, with Taproot's rules.

Transient failures (provider timeouts, connection errors, 5xx, 529, 429 with its
Retry-After as a floor, PostgreSQL 40001/40P01 and lost connections) are retried with
exponential backoff and full jitter, up to the attempt limit; everything else fails at
once. A job aborted because its worker shut down is put back at once (it did not fail).
The AI task asks the same strategy for its decision before raising, so the request row
and the job agree on when the next attempt runs.
"""

from __future__ import annotations

import asyncio
import datetime
import random

import psycopg
from procrastinate import RetryDecision
from procrastinate.exceptions import JobAborted
from procrastinate.jobs import Job
from procrastinate.retry import BaseRetryStrategy

from ai.errors import ProviderError
from ai.retry import backoff_delay

RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})  # serialization failure, deadlock


class RetryLater(Exception):
    """Raised by a task that already recorded its retry (with `decision`) on its request."""

    def __init__(self, cause: BaseException, decision: RetryDecision) -> None:
        super().__init__(str(cause))
        self.cause = cause
        self.decision = decision


def transient_database_error(error: BaseException) -> bool:
    if isinstance(error, psycopg.OperationalError):
        return True  # the connection went away (PostgreSQL restarting, network)
    return isinstance(error, psycopg.Error) and error.sqlstate in RETRYABLE_SQLSTATES


class TaprootRetry(BaseRetryStrategy):
    def __init__(
        self,
        *,
        max_attempts: int,
        base: float,
        cap: float,
        rng: random.Random | None = None,
    ) -> None:
        self.max_attempts = max_attempts
        self.base = base
        self.cap = cap
        self.rng = rng or random.Random()  # noqa: S311 - jitter, not secrets

    def get_retry_decision(self, *, exception: BaseException, job: Job) -> RetryDecision | None:
        if isinstance(exception, RetryLater):
            return exception.decision
        # Procrastinate counts the attempts already made before this one.
        return self.decide(exception, job.attempts + 1)

    def decide(self, exception: BaseException, attempt: int) -> RetryDecision | None:
        """The decision after attempt `attempt` (1 = the first) failed with `exception`."""
        if isinstance(exception, asyncio.CancelledError | JobAborted):
            # Only aborts caused by a worker shutting down are offered a retry by Procrastinate.
            return RetryDecision(retry_in={"seconds": 0})
        if attempt >= self.max_attempts:
            return None
        if isinstance(exception, ProviderError):
            if not exception.retryable:
                return None
            retry_after = exception.retry_after
        elif transient_database_error(exception):
            retry_after = None
        else:
            return None
        delay = backoff_delay(
            attempt, base=self.base, cap=self.cap, retry_after=retry_after, rng=self.rng
        )
        return RetryDecision(retry_at=_now() + datetime.timedelta(seconds=delay))


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)

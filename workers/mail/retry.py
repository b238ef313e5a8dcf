"""The retry policy of mail.send: Taproot's, plus transient SMTP failures.

Connection errors, timeouts and 4xx replies (TransientMailError) are retried with the
same exponential backoff and full jitter as everything else, with the mail's own attempt
limit and delays (TAPROOT_MAIL_*); database hiccups and shutdowns are handled as in
TaprootRetry; anything else fails at once.
"""

from __future__ import annotations

import datetime

from procrastinate import RetryDecision

from ai.retry import backoff_delay
from workers.mail.smtp import TransientMailError
from workers.retry import TaprootRetry


class MailRetry(TaprootRetry):
    def decide(self, exception: BaseException, attempt: int) -> RetryDecision | None:
        if not isinstance(exception, TransientMailError):
            return super().decide(exception, attempt)
        if attempt >= self.max_attempts:
            return None
        delay = backoff_delay(attempt, base=self.base, cap=self.cap, retry_after=None, rng=self.rng)
        return RetryDecision(
            retry_at=datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=delay)
        )

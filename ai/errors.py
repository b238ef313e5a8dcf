"""The error taxonomy every provider raises and every caller (sidecar, job retry policy) reads.

Providers translate whatever their upstream said (HTTP status, error body, a timeout, a
dropped connection) into one `ProviderError` with a `kind`; nobody above the provider
layer looks at raw HTTP errors.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ai.types import Usage


class ErrorKind(StrEnum):
    TRANSIENT = "transient"  # timeouts, connection errors, 5xx, malformed answers
    RATE_LIMITED = "rate_limited"  # 429: honour retry_after
    OVERLOADED = "overloaded"  # 529 / 503 overloaded
    PERMANENT = "permanent"  # invalid request (400, 404, 422): retrying cannot help
    AUTH = "auth"  # 401/403: bad or missing credential
    CONTENT_FILTER = "content_filter"  # the upstream refused the content
    QUOTA = "quota"  # the upstream account (or a Taproot budget) is out of credit


RETRYABLE = frozenset({ErrorKind.TRANSIENT, ErrorKind.RATE_LIMITED, ErrorKind.OVERLOADED})

# The HTTP status a front door answers with for each kind (OpenAI's and Anthropic's habits).
HTTP_STATUS = {
    ErrorKind.TRANSIENT: 502,
    ErrorKind.RATE_LIMITED: 429,
    ErrorKind.OVERLOADED: 529,
    ErrorKind.PERMANENT: 400,
    ErrorKind.AUTH: 401,
    ErrorKind.CONTENT_FILTER: 400,
    ErrorKind.QUOTA: 429,
}


class ProviderError(Exception):
    """A failed provider call, classified.

    `status` is the upstream HTTP status when there was one; `retry_after` (seconds) comes
    from the upstream's Retry-After (or retry-after-ms) header; `produced` is True when part
    of a streamed answer had already been received (no fallback is possible then).
    `partial_usage` (optional) is what the failed call consumed as far as Taproot knows:
    a cut stream still spent input tokens and the output produced so far, so callers can
    settle it (usually `estimated=True`). None when nothing is known to have been spent.
    """

    def __init__(
        self,
        kind: ErrorKind,
        message: str,
        *,
        provider: str = "",
        status: int | None = None,
        retry_after: float | None = None,
        produced: bool = False,
        partial_usage: Usage | None = None,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.provider = provider
        self.status = status
        self.retry_after = retry_after
        self.produced = produced
        self.partial_usage = partial_usage

    @property
    def retryable(self) -> bool:
        return self.kind in RETRYABLE

    def __repr__(self) -> str:
        return f"ProviderError({self.kind.value!r}, {self.message!r}, status={self.status})"

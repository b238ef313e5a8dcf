"""The shared HTTP layer: Retry-After parsing, status mapping, token rule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from ai.errors import ErrorKind, ProviderError
from ai.providers._http import parse_retry_after, status_kind
from ai.tokens import content_text, count_tokens, estimate_usage
from ai.types import upstream_params


def test_retry_after_forms() -> None:
    assert parse_retry_after({"retry-after": "3"}) == 3.0
    assert parse_retry_after({"retry-after-ms": "250", "retry-after": "3"}) == 0.25
    assert parse_retry_after({"retry-after-ms": "soon", "retry-after": "2"}) == 2.0
    assert parse_retry_after({}) is None
    assert parse_retry_after({"retry-after": "whenever"}) is None
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert 25 < (parse_retry_after({"retry-after": later}) or 0) <= 30
    past = format_datetime(datetime.now(UTC) - timedelta(seconds=30), usegmt=True)
    assert parse_retry_after({"retry-after": past}) == 0.0


@pytest.mark.parametrize(
    ("status", "code", "kind"),
    [
        (408, "", ErrorKind.TRANSIENT),
        (409, "", ErrorKind.TRANSIENT),
        (422, "", ErrorKind.PERMANENT),
        (400, "content_filter", ErrorKind.CONTENT_FILTER),
        (403, "", ErrorKind.AUTH),
        (503, "", ErrorKind.TRANSIENT),
        (502, "", ErrorKind.TRANSIENT),
    ],
)
def test_status_kinds(status: int, code: str, kind: ErrorKind) -> None:
    assert status_kind(status, code, "") is kind


def test_token_rule_and_param_filter() -> None:
    assert (count_tokens(""), count_tokens("abcd"), count_tokens("abcde")) == (0, 1, 2)
    assert content_text([{"type": "text", "text": "ab"}, "x", {"type": "image_url"}]) == "ab"
    assert content_text(None) == ""
    assert estimate_usage([{"role": "user", "content": "abcd"}], "ab").estimated
    assert upstream_params({"fake_fail": 1, "cache": True, "seed": 1}) == {"seed": 1}


def test_errors_carry_their_fields() -> None:
    error = ProviderError(ErrorKind.RATE_LIMITED, "slow", status=429, retry_after=1.0)
    assert error.retryable and error.partial_usage is None
    assert repr(error) == "ProviderError('rate_limited', 'slow', status=429)"

"""Pattern filters: like ilike match imatch, with `*` as the LIKE wildcard, and `not.`.

Ported from PostgREST's QuerySpec.hs; values from `special_chars` and `complex_items`.
"""

from __future__ import annotations

import pytest

from tests.gateway.conftest import Gateway
from tests.gateway.spec._http import assert_rows, ids


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("name=like.T*", [2, 3]),
        ("name=like.*e", [1, 3]),
        ("name=like.*hre*", [3]),
        ("name=like.t*", []),
        ("name=ilike.t*", [2, 3]),
        ("name=ilike.*O*", [1, 2]),
        ("name=not.like.T*", [1]),
        ("name=not.ilike.*o*", [3]),
        ("name=match.^T", [2, 3]),
        ("name=match.e$", [1, 3]),
        ("name=match.^t", []),
        ("name=imatch.^t", [2, 3]),
        ("name=not.match.^T", [1]),
        ("name=not.imatch.^o", [2, 3]),
    ],
)
def test_complex_items_patterns(api: Gateway, query: str, expected: list[int]) -> None:
    assert_rows(api.get(f"/complex_items?select=id&{query}&order=id"), ids(*expected))


def test_like_percent_sign_is_literal_when_encoded(api: Gateway) -> None:
    # `%` percent-encoded is a LIKE wildcard too (PostgREST passes it through).
    assert_rows(api.get("/special_chars?select=id&val=like.100%25"), ids(8))


def test_like_with_encoded_space(api: Gateway) -> None:
    assert_rows(api.get("/special_chars?select=id&val=like.*%20*&order=id"), ids(4, 7, 10))


def test_match_with_regex_classes(api: Gateway) -> None:
    assert_rows(api.get("/special_chars?select=id&val=match.^[a-z]:[a-z]$"), ids(6))


def test_imatch_on_unicode(api: Gateway) -> None:
    assert_rows(api.get("/special_chars?select=id&val=imatch.^CAF"), ids(9))

"""Full-text search on text and jsonb columns: PostgREST 13 (#2255) wraps the column in
to_tsvector() with the filter's language. Expectations from QuerySpec.hs
("text and json columns"), same sentences.
"""

from __future__ import annotations

import pytest

from tests.gateway.conftest import Gateway
from tests.gateway.spec._http import assert_rows

IMPOSSIBLE = "It's kind of fun to do the impossible"
POSSIBLE = "But also fun to do what is possible"
RATS = "Fat cats ate rats"
FRENCH = "C'est un peu amusant de faire l'impossible"
GERMAN = "Es ist eine Art Spaß, das Unmögliche zu machen"

CASES = [
    ("fts.impossible", [IMPOSSIBLE, FRENCH]),
    ("fts.fun%26possible", [POSSIBLE]),
    ("fts.fun%26!possible", [IMPOSSIBLE]),
    ("plfts.The%20Fat%20Rats", [RATS]),
    ("wfts.fun%20and%20-possible", [IMPOSSIBLE]),
    ("phfts.The%20Fat%20Cats", [RATS]),
    ("fts(french).amusant", [FRENCH]),
    ("phfts(german).Art%20Spass", [GERMAN]),
    ("not.fts.impossible%7Cfat%7Cfun", [GERMAN]),
]


@pytest.mark.parametrize(("filter_", "expected"), CASES)
def test_text_column(api: Gateway, filter_: str, expected: list[str]) -> None:
    assert_rows(
        api.get(f"/tsearch_to_tsvector?select=text_search&text_search={filter_}"),
        [{"text_search": t} for t in expected],
    )


@pytest.mark.parametrize(("filter_", "expected"), CASES)
def test_jsonb_column(api: Gateway, filter_: str, expected: list[str]) -> None:
    assert_rows(
        api.get(f"/tsearch_to_tsvector?select=jsonb_search&jsonb_search={filter_}"),
        [{"jsonb_search": {"text_search": t}} for t in expected],
    )

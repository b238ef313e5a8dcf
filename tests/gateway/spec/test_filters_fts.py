"""Full-text search filters: fts plfts phfts wfts, with a language and with `not.`.

Ported from PostgREST's QuerySpec.hs ("Full text search operator"): same sentences,
same expected tsvectors. The database's default text search config is English.
"""

from __future__ import annotations

import pytest

from tests.gateway.conftest import Gateway
from tests.gateway.spec._http import assert_rows

IMPOSSIBLE = "'fun':5 'imposs':9 'kind':3"
POSSIBLE = "'also':2 'fun':3 'possibl':8"
RATS = "'ate':3 'cat':2 'fat':1 'rat':4"
FRENCH = "'amus':5 'fair':7 'impossibl':9 'peu':4"
GERMAN = "'art':4 'spass':5 'unmog':7"


def vectors(*values: str) -> list[dict[str, str]]:
    return [{"text_search_vector": v} for v in values]


@pytest.mark.parametrize(
    ("filter_", "expected"),
    [
        ("fts.impossible", [IMPOSSIBLE]),
        ("fts.fun%26possible", [POSSIBLE]),
        ("fts.impossible%7Cpossible", [IMPOSSIBLE, POSSIBLE]),
        ("fts.fun%26!possible", [IMPOSSIBLE]),
        ("plfts.The%20Fat%20Rats", [RATS]),
        ("phfts.The%20Fat%20Cats", [RATS]),
        ("wfts.The%20Fat%20Rats", [RATS]),
        ("wfts.fun%20and%20possible", [POSSIBLE]),
        ("wfts.impossible%20or%20possible", [IMPOSSIBLE, POSSIBLE]),
        ("wfts.fun%20and%20-possible", [IMPOSSIBLE]),
        ("fts(french).amusant", [FRENCH]),
        ("plfts(french).amusant%20impossible", [FRENCH]),
        ("wfts(french).amusant%20impossible", [FRENCH]),
        ("phfts(german).Art%20Spass", [GERMAN]),
        ("not.fts.impossible%7Cfat%7Cfun", [FRENCH, GERMAN]),
        ("not.fts(english).impossible%7Cfat%7Cfun", [FRENCH, GERMAN]),
        ("not.plfts.The%20Fat%20Rats", [IMPOSSIBLE, POSSIBLE, FRENCH, GERMAN]),
        ("not.phfts(english).The%20Fat%20Cats", [IMPOSSIBLE, POSSIBLE, FRENCH, GERMAN]),
        ("not.wfts(english).impossible%20or%20fat%20or%20fun", [FRENCH, GERMAN]),
    ],
)
def test_tsvector_column(api: Gateway, filter_: str, expected: list[str]) -> None:
    assert_rows(api.get(f"/tsearch?text_search_vector={filter_}"), vectors(*expected))


def test_fts_inside_or(api: Gateway) -> None:
    query = (
        "or=(text_search_vector.phfts(german).Art%20Spass,"
        " text_search_vector.phfts(french).amusant,"
        " text_search_vector.fts(english).impossible)"
    )
    assert_rows(api.get(f"/tsearch?{query}"), vectors(IMPOSSIBLE, FRENCH, GERMAN))


def test_unknown_language_is_a_postgres_error(api: Gateway) -> None:
    resp = api.get("/tsearch?text_search_vector=fts(klingon).qapla")
    assert resp.status_code == 400
    assert resp.json() == {
        "code": "42704",
        "message": 'text search configuration "klingon" does not exist',
        "details": None,
        "hint": None,
    }

"""Property tests: no query string makes the request stage raise anything but PostgREST's
request errors, and no request text ever becomes SQL text."""

from __future__ import annotations

import contextlib
from urllib.parse import quote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway import query
from gateway.errors import ApiError
from gateway.plan import plan
from gateway.request import build, parse_query
from gateway.syntax import GrammarError, parse_logic_tree, parse_order, parse_select

from .conftest import make_cache

CACHE = make_cache()
SPECIAL = "()[]{},.:;!*\"'\\-><=&%+ $_/@#\t\x00é"
CHARS = st.text(
    alphabet=st.sampled_from(list(SPECIAL) + list("abcidnotqeslr0123456789")), max_size=40
)
KEYS = st.sampled_from(
    [
        "select",
        "order",
        "limit",
        "offset",
        "or",
        "and",
        "not.or",
        "id",
        "name",
        "data->a",
        "tags",
        "x.y",
        "columns",
        "on_conflict",
        "q",
    ]
)
OPS = st.sampled_from(
    ["eq.", "not.eq.", "in.", "is.", "like.", "fts(english).", "cs.", "eq(any).", "", "or(", "gt."]
)


def query_strings() -> st.SearchStrategy[bytes]:
    pair = st.tuples(KEYS | CHARS, OPS, CHARS).map(
        lambda kov: f"{quote(kov[0], safe='')}={quote(kov[1] + kov[2], safe='')}"
    )
    return st.lists(pair, max_size=6).map(lambda ps: "&".join(ps).encode())


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(query_strings())
def test_query_parser_only_raises_request_errors(qs: bytes) -> None:
    try:
        parse_query(qs)
    except ApiError as err:
        assert err.code in ("PGRST100", "PGRST103"), err
        assert err.status in (400, 416)


@settings(max_examples=600, deadline=None)
@given(st.binary(max_size=200))
def test_raw_bytes_never_crash_the_parser(raw: bytes) -> None:
    try:
        parse_query(raw)
    except ApiError as err:
        assert err.code in ("PGRST100", "PGRST103")


@settings(max_examples=400, deadline=None)
@given(CHARS)
def test_grammar_functions_raise_only_grammar_errors(text: str) -> None:
    for parse in (parse_select, parse_order, lambda t: parse_logic_tree(False, "or", t)):
        with contextlib.suppress(GrammarError):
            parse(text)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(query_strings(), st.sampled_from(["/items", "/rpc/search", "/rpc/add", "/item_names"]))
def test_pipeline_raises_only_api_errors_and_keeps_text_out_of_sql(qs: bytes, path: str) -> None:
    marker = "zqzq"
    qs = qs + f"&name=eq.{marker}".encode() if path == "/items" else qs
    try:
        req = build("GET", path, qs, {}, [], b"", CACHE.schemas)
        action = plan(req, CACHE)
        statement = query.build(action)
    except ApiError:
        return
    assert marker not in statement.sql
    for value in statement.params:
        assert isinstance(value, str | int | list | bytes)

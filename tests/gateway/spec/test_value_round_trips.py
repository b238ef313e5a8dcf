"""Property tests: any text a client sends as a value comes back intact, wherever it
travels — RPC arguments (query string and JSON body), eq filters, quoted in-list
elements, quoted logic-tree values, quoted JSON keys. Nothing is ever a 5xx.

Strings exclude NUL, which PostgreSQL text cannot hold.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.gateway.conftest import Gateway

FIXTURE_VALUES = [
    "a,b", "a.b", "(a)", 'say "hi"', "back\\slash", "a:b",
    " padded ", "100%", "café", "a b", "a&b=c", "a+b",
]  # fmt: skip
CHARS = st.characters(exclude_characters="\x00", exclude_categories=["Cs"])
TEXT = st.text(CHARS, max_size=30)
VALUES = st.one_of(st.sampled_from(FIXTURE_VALUES), TEXT)
PROPERTY = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


def quoted(value: str) -> str:
    """PostgREST's pQuotedValue: backslash escapes any character inside double quotes."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def expected_rows(value: str) -> list[dict[str, Any]]:
    return [{"val": value}] if value in FIXTURE_VALUES else []


def ok_json(gw: Gateway, path: str, **kwargs: Any) -> Any:
    resp = gw.request(kwargs.pop("method", "GET"), path, **kwargs)
    assert resp.status_code == 200, (resp.status_code, resp.text)
    return resp.json()


@PROPERTY
@given(value=TEXT)
def test_rpc_query_string_argument(gateway: Gateway, value: str) -> None:
    # A leading "~" keeps the value from reading as an operator (eq.…, not.…), which for
    # GET /rpc PostgREST would take as a filter on the result instead of an argument.
    arg = "~" + value
    assert ok_json(gateway, "/rpc/sayhello", params={"name": arg}) == f"Hello, {arg}"


@PROPERTY
@given(value=TEXT)
def test_rpc_json_argument(gateway: Gateway, value: str) -> None:
    assert ok_json(gateway, "/rpc/sayhello", method="POST", json={"name": value}) == (
        f"Hello, {value}"
    )


@PROPERTY
@given(value=VALUES)
def test_eq_filter_value(gateway: Gateway, value: str) -> None:
    params = {"select": "val", "val": f"eq.{value}"}
    assert ok_json(gateway, "/special_chars", params=params) == expected_rows(value)


@PROPERTY
@given(value=VALUES)
def test_quoted_in_list_element(gateway: Gateway, value: str) -> None:
    params = {"select": "val", "val": f"in.({quoted(value)})"}
    assert ok_json(gateway, "/special_chars", params=params) == expected_rows(value)


@PROPERTY
@given(value=VALUES)
def test_quoted_logic_tree_value(gateway: Gateway, value: str) -> None:
    params = {"select": "val", "or": f"(val.eq.{quoted(value)})"}
    assert ok_json(gateway, "/special_chars", params=params) == expected_rows(value)


@PROPERTY
@given(key=st.text(CHARS, min_size=1, max_size=12))
def test_quoted_json_key_is_the_output_name(gateway: Gateway, key: str) -> None:
    params = {"id": "eq.1", "select": f"settings->>{quoted(key)}"}
    assert ok_json(gateway, "/complex_items", params=params) == [{key: None}]

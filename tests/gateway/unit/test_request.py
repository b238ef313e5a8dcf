"""Request stage: query-string classification, ranges, Prefer, Accept, profiles."""

from __future__ import annotations

import pytest

from gateway.errors import ApiError
from gateway.request import (
    ALL,
    MAX_QUERY_STRING,
    Range,
    build,
    looks_like_filter,
    parse_accept,
    parse_cookies,
    parse_prefer,
    parse_query,
    parse_range_header,
    resolve_target,
    split_query,
)
from gateway.syntax import Field


def test_split_query_decodes_plus_percent_and_semicolons() -> None:
    assert split_query(b"a=1+2&b=%2C%3D;c&d=") == [
        ("a", "1 2"),
        ("b", ",="),
        ("c", None),
        ("d", ""),
    ]


def test_oversized_query_string_is_pgrst100() -> None:
    with pytest.raises(ApiError) as exc:
        split_query(b"a=" + b"1" * MAX_QUERY_STRING)
    assert exc.value.code == "PGRST100"


def test_table_parameters_are_all_filters() -> None:
    qp = parse_query(b"select=id&id=eq.1&order=id.desc&limit=2&offset=1&or=(id.eq.2)")
    assert qp.has_select
    assert [(path, f.field) for path, f in qp.filters] == [((), Field("id"))]
    assert qp.ranges[()] == Range(1, 2)
    assert len(qp.logic) == 1
    with pytest.raises(ApiError) as exc:
        parse_query(b"id=0")
    assert exc.value.code == "PGRST100"


def test_rpc_parameters_defer_filter_like_values() -> None:
    qp = parse_query(b"a=1&b=eq.2&select=x", defer_filters=True)
    assert qp.params == [("a", "1")]
    assert qp.filter_params == [("b", "eq.2")]
    assert qp.filters == []


def test_embedded_filters_keep_their_path() -> None:
    qp = parse_query(b"clients.id=eq.1&clients.order=id&clients.limit=1")
    assert qp.filters[0][0] == ("clients",)
    assert ("clients",) in qp.order
    assert qp.ranges[("clients",)] == Range(0, 0)


def test_limits_that_do_not_parse_are_ignored_negative_is_416() -> None:
    assert parse_query(b"limit=abc&offset=x").ranges[()] == ALL
    with pytest.raises(ApiError) as exc:
        parse_query(b"limit=-1")
    assert (exc.value.status, exc.value.code) == (416, "PGRST103")


def test_limit_zero_is_an_empty_range() -> None:
    assert parse_query(b"limit=0").ranges[()].limit == 0


def test_range_header() -> None:
    assert parse_range_header("0-9") == Range(0, 9)
    assert parse_range_header("5-") == Range(5, None)
    assert parse_range_header("items=0-9") == ALL
    assert parse_range_header(None) == ALL
    with pytest.raises(ApiError) as exc:
        parse_range_header("9-1")
    assert exc.value.status == 416


def test_range_arithmetic() -> None:
    assert Range(2, 10).intersect(Range(0, 4)) == Range(2, 4)
    assert Range(3).restrict(5) == Range(3, 7)
    assert Range(3, 4).restrict(None) == Range(3, 4)
    assert Range(5, 3).limit == 0


def test_prefer() -> None:
    prefs = parse_prefer(["count=exact, return=representation", "tx=rollback; x", "bogus"])
    assert prefs.count == "exact"
    assert prefs.representation == "full"
    assert prefs.invalid == ["tx=rollback; x", "bogus"]
    with pytest.raises(ApiError) as exc:
        parse_prefer(["handling=strict, nope=1"])
    assert exc.value.code == "PGRST122"


def test_accept_sorts_by_quality_and_keeps_order() -> None:
    types = parse_accept(
        "text/csv;q=0.5, application/json, application/vnd.pgrst.object+json;nulls=stripped"
    )
    assert [t.type for t in types] == [
        "application/json",
        "application/vnd.pgrst.object+json",
        "text/csv",
    ]
    assert types[1].nulls_stripped
    assert parse_accept(None)[0].type == "*/*"
    assert parse_accept("text/html;q=0")[0].type == "*/*"


def test_cookies() -> None:
    assert parse_cookies("a=1; b=two=2; bad") == {"a": "1", "b": "two=2"}


def test_targets() -> None:
    assert resolve_target("/") == ("root", "")
    assert resolve_target("/items") == ("relation", "items")
    assert resolve_target("/rpc/f") == ("rpc", "f")
    with pytest.raises(ApiError) as exc:
        resolve_target("/a/b/c")
    assert exc.value.code == "PGRST125"


def test_build_profiles_and_ranges() -> None:
    req = build(
        "GET",
        "/items",
        b"limit=5",
        {"accept-profile": "v2", "range": "1-2"},
        [],
        b"",
        ("api", "v2"),
    )
    assert (req.schema, req.negotiated_by_profile) == ("v2", True)
    assert req.top_range == Range(1, 2)
    with pytest.raises(ApiError) as exc:
        build("GET", "/items", b"", {"accept-profile": "secret"}, [], b"", ("api", "v2"))
    assert (exc.value.status, exc.value.code) == (406, "PGRST106")
    post = build(
        "POST", "/rpc/f", b"", {"content-profile": "v2", "range": "1-2"}, [], b"{}", ("api", "v2")
    )
    assert post.schema == "v2" and post.top_range == ALL


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("eq.1", True),
        ("not.x", True),
        ("in.(1)", True),
        ("is.null", True),
        ("fts(en).a", True),
        ("eq(any).{1}", True),
        ("hello", False),
        ("1", False),
        ("", False),
    ],
)
def test_looks_like_filter(value: str, expected: bool) -> None:
    assert looks_like_filter(value) is expected

"""Requests built with the `postgrest` client, shared by the sync and async suites.

Each case builds a request from a client (sync or async: the builders have the same
methods), and states the data and count the gateway must return. The suites only
differ in how they execute (`.execute()` vs `await ….execute()`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Build = Callable[[Any], Any]


@dataclass(frozen=True)
class Case:
    name: str
    build: Build
    data: Any
    count: int | None = None


@dataclass(frozen=True)
class ErrorCase:
    name: str
    build: Build
    code: str
    message: str
    details: str | None = None
    hint: str | None = None


def ids(*numbers: int) -> list[dict[str, int]]:
    return [{"id": n} for n in numbers]


CASES = [
    # select, order, ranges
    Case("select_all", lambda c: c.from_("items").select("*").order("id"), ids(*range(1, 16))),
    Case(
        "select_columns_alias_cast",
        lambda c: c.from_("complex_items").select("myId:id::text,name").eq("id", 2),
        [{"myId": "2", "name": "Two"}],
    ),
    Case(
        "select_json_arrow",
        lambda c: c.from_("complex_items").select("id,bar:settings->foo->>bar").order("id"),
        [{"id": 1, "bar": "baz"}, {"id": 2, "bar": "qux"}, {"id": 3, "bar": "baz"}],
    ),
    Case(
        "order_desc_limit",
        lambda c: c.from_("items").select("id").order("id", desc=True).limit(3),
        ids(15, 14, 13),
    ),
    Case(
        "order_nullsfirst_then_id",
        lambda c: c.from_("scores").select("id").order("score", nullsfirst=True).order("id"),
        ids(2, 5, 3, 4, 1),
    ),
    Case(
        "order_desc_nullslast",
        lambda c: c.from_("scores").select("id").order("score", desc=True, nullsfirst=False),
        ids(1, 4, 3, 2, 5),
    ),
    Case("offset", lambda c: c.from_("items").select("id").order("id").offset(13), ids(14, 15)),
    Case("range", lambda c: c.from_("items").select("id").order("id").range(2, 4), ids(3, 4, 5)),
    # comparison filters
    Case("eq", lambda c: c.from_("items").select("id").eq("id", 5), ids(5)),
    Case(
        "neq",
        lambda c: c.from_("items").select("id").neq("id", 1).lt("id", 4).order("id"),
        ids(2, 3),
    ),
    Case("gt", lambda c: c.from_("items").select("id").gt("id", 13).order("id"), ids(14, 15)),
    Case("gte", lambda c: c.from_("items").select("id").gte("id", 14).order("id"), ids(14, 15)),
    Case("lt", lambda c: c.from_("items").select("id").lt("id", 3).order("id"), ids(1, 2)),
    Case("lte", lambda c: c.from_("items").select("id").lte("id", 2).order("id"), ids(1, 2)),
    Case(
        "in", lambda c: c.from_("items").select("id").in_("id", [1, 3, 5]).order("id"), ids(1, 3, 5)
    ),
    Case(
        "in_with_reserved_characters",
        lambda c: (
            c.from_("special_chars").select("id").in_("val", ["a,b", "(a)", 'say "hi"']).order("id")
        ),
        ids(1, 3, 4),
    ),
    Case(
        "is_null", lambda c: c.from_("nullable_integer").select("a").is_("a", None), [{"a": None}]
    ),
    Case("is_true", lambda c: c.from_("types").select("id").is_("flag", True), ids(1)),
    Case(
        "not_is_null",
        lambda c: c.from_("no_pk").select("a").not_.is_("a", None).order("a"),
        [{"a": "1"}, {"a": "2"}],
    ),
    Case("match", lambda c: c.from_("complex_items").select("id").match({"name": "Two"}), ids(2)),
    # pattern filters
    Case(
        "like",
        lambda c: c.from_("complex_items").select("id").like("name", "T*").order("id"),
        ids(2, 3),
    ),
    Case(
        "ilike",
        lambda c: c.from_("complex_items").select("id").ilike("name", "*o*").order("id"),
        ids(1, 2),
    ),
    Case(
        "like_any_of",
        lambda c: c.from_("complex_items").select("id").like_any_of("name", "O*,*ee").order("id"),
        ids(1, 3),
    ),
    Case(
        "generic_filter_imatch",
        lambda c: c.from_("complex_items").select("id").filter("name", "imatch", "^t").order("id"),
        ids(2, 3),
    ),
    # logic trees
    Case(
        "or",
        lambda c: c.from_("items").select("id").or_("id.eq.1,id.eq.3").order("id"),
        ids(1, 3),
    ),
    Case(
        "or_nested_and",
        lambda c: c.from_("items").select("id").or_("id.lt.2,and(id.gt.5,id.lt.7)").order("id"),
        ids(1, 6),
    ),
    Case(
        "not_eq",
        lambda c: c.from_("items").select("id").not_.eq("id", 1).lte("id", 3).order("id"),
        ids(2, 3),
    ),
    # arrays, ranges, json, fts
    Case(
        "cs",
        lambda c: c.from_("complex_items").select("id").cs("arr_data", [2]).order("id"),
        ids(2, 3),
    ),
    Case(
        "cd",
        lambda c: c.from_("complex_items").select("id").cd("arr_data", [1, 2, 4]).order("id"),
        ids(1, 2),
    ),
    Case("ov", lambda c: c.from_("complex_items").select("id").ov("arr_data", [3, 4]), ids(3)),
    Case(
        "contains_jsonb",
        lambda c: (
            c.from_("complex_items")
            .select("id")
            .contains("settings", {"foo": {"bar": "baz"}})
            .order("id")
        ),
        ids(1, 3),
    ),
    Case(
        "sl", lambda c: c.from_("ranges").select("id").sl("range", (6, 10)).order("id"), ids(1, 2)
    ),
    Case("sr", lambda c: c.from_("ranges").select("id").sr("range", (3, 5)).order("id"), ids(3, 4)),
    Case(
        "nxl", lambda c: c.from_("ranges").select("id").nxl("range", (5, 7)).order("id"), ids(3, 4)
    ),
    Case(
        "nxr", lambda c: c.from_("ranges").select("id").nxr("range", (4, 7)).order("id"), ids(1, 2)
    ),
    Case("adj", lambda c: c.from_("ranges").select("id").adj("range", (12, 13)), ids(4)),
    Case(
        "fts",
        lambda c: c.from_("tsearch").select("*").fts("text_search_vector", "impossible"),
        [{"text_search_vector": "'fun':5 'imposs':9 'kind':3"}],
    ),
    Case(
        "text_search_plain_french",
        lambda c: (
            c.from_("tsearch")
            .select("*")
            .text_search(
                "text_search_vector", "amusant impossible", {"type": "plain", "config": "french"}
            )
        ),
        [{"text_search_vector": "'amus':5 'fair':7 'impossibl':9 'peu':4"}],
    ),
    Case(
        "text_search_websearch",
        lambda c: (
            c.from_("tsearch")
            .select("*")
            .text_search("text_search_vector", "fun and -possible", {"type": "web_search"})
        ),
        [{"text_search_vector": "'fun':5 'imposs':9 'kind':3"}],
    ),
    # counts
    Case(
        "count_exact_with_range",
        lambda c: c.from_("items").select("id", count="exact").order("id").range(0, 1),
        ids(1, 2),
        15,
    ),
    Case(
        "count_exact_filtered",
        lambda c: c.from_("items").select("id", count="exact").gt("id", 12).order("id"),
        ids(13, 14, 15),
        3,
    ),
    Case(
        "count_planned",
        lambda c: c.from_("items").select("id", count="planned").gt("id", 8).order("id"),
        ids(9, 10, 11, 12, 13, 14, 15),
        8,
    ),
    Case(
        "count_estimated",
        lambda c: c.from_("items").select("id", count="estimated").gt("id", 12).order("id"),
        ids(13, 14, 15),
        3,
    ),
    Case(
        "head_count",
        lambda c: c.from_("items").select("*", count="exact", head=True),
        [],
        15,
    ),
    Case(
        "strip_nulls",
        lambda c: c.from_("scores").select("id,score").in_("id", [2, 4]).order("id").strip_nulls(),
        [{"id": 2}, {"id": 4, "score": 20}],
    ),
    # single objects and CSV
    Case("single", lambda c: c.from_("items").select("id").eq("id", 7).single(), {"id": 7}),
    Case(
        "csv",
        lambda c: c.from_("complex_items").select("id,name").order("id").csv(),
        "id,name\n1,One\n2,Two\n3,Three",
    ),
    # profiles
    Case(
        "other_schema",
        lambda c: c.schema("v2").from_("items").select("*").order("id"),
        [{"id": 1, "label": "v2 one"}, {"id": 2, "label": "v2 two"}],
    ),
    # RPC
    Case("rpc_post_scalar", lambda c: c.rpc("add_them", {"a": 3, "b": 4}), 7),
    Case(
        "rpc_get_scalar", lambda c: c.rpc("sayhello", {"name": "world"}, get=True), "Hello, world"
    ),
    Case(
        "rpc_set_with_filters",
        lambda c: c.rpc("getitemrange", {"min": 0, "max": 15}).gt("id", 12).order("id", desc=True),
        ids(15, 14, 13),
    ),
    Case(
        "rpc_set_with_range",
        lambda c: c.rpc("getitemrange", {"min": 0, "max": 15}).order("id").range(1, 2),
        ids(2, 3),
    ),
    Case(
        "rpc_count",
        lambda c: c.rpc("getitemrange", {"min": 2, "max": 4}, count="exact").limit(1),
        ids(3),
        2,
    ),
    Case(
        "rpc_head_count",
        lambda c: c.rpc("getitemrange", {"min": 2, "max": 4}, count="exact", head=True),
        [],
        2,
    ),
    Case(
        "rpc_get_with_array_argument",
        lambda c: c.rpc("array_param", {"arr": [1, 2, 3]}, get=True),
        6,
    ),
    Case(
        "rpc_composite_is_an_object",
        lambda c: c.rpc("ret_item", {"id": 4}),
        {"id": 4},
    ),
    Case(
        "rpc_single",
        lambda c: c.rpc("getitemrange", {"min": 1, "max": 2}).single(),
        {"id": 2},
    ),
    Case(
        "rpc_select_columns",
        lambda c: c.rpc("ret_scores", {}).select("player").eq("id", 3),
        [{"player": "cid"}],
    ),
    Case("rpc_csv", lambda c: c.rpc("getitemrange", {"min": 2, "max": 4}).csv(), "id\n3\n4"),
    Case(
        "rpc_other_schema",
        lambda c: c.schema("v2").rpc("get_version", {}),
        "v2",
    ),
]

ERROR_CASES = [
    ErrorCase(
        "unknown_table",
        lambda c: c.from_("xyzzy_nothing_like_it").select("*"),
        "PGRST205",
        "Could not find the table 'test.xyzzy_nothing_like_it' in the schema cache",
    ),
    ErrorCase(
        "single_with_many_rows",
        lambda c: c.from_("items").select("id").single(),
        "PGRST116",
        "Cannot coerce the result to a single JSON object",
        "The result contains 15 rows",
    ),
    ErrorCase(
        "anon_without_privilege",
        lambda c: c.from_("authors_only").select("*"),
        "42501",
        "permission denied for table authors_only",
    ),
    ErrorCase(
        "unknown_function",
        lambda c: c.rpc("sayhell", {}),
        "PGRST202",
        "Could not find the function test.sayhell without parameters in the schema cache",
        "Searched for the function test.sayhell without parameters or with a single unnamed"
        " json/jsonb parameter, but no matches were found in the schema cache.",
        "Perhaps you meant to call the function test.sayhello",
    ),
    ErrorCase(
        "raise_in_function",
        lambda c: c.rpc("raise_pt402", {}, get=True),
        "PT402",
        "Payment Required",
        "Quota exceeded",
        "Upgrade your plan",
    ),
    ErrorCase(
        "unexposed_schema",
        lambda c: c.schema("private").from_("secrets").select("*"),
        "PGRST106",
        "Invalid schema: private",
        None,
        "Only the following schemas are exposed: test, v2",
    ),
]

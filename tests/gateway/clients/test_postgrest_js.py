"""postgrest-js (npm, run with node) against the live gateway: reads, RPC and errors.

The cases are in tests/gateway/js/cases/reads.mjs; node runs them all once per module
(tests/gateway/js/run.mjs) and each test compares one case's {status, count, data,
error} with what PostgREST v12/v13 answers, exactly. Writes and embedding live in
test_postgrest_js_writes.py.
"""

from __future__ import annotations

from typing import Any

import pytest

from taproot.database import Database
from tests.gateway.conftest import GatewayFactory
from tests.gateway.js import harness

Line = dict[str, Any]


def ok(data: Any, *, status: int = 200, count: int | None = None) -> Line:
    return {"status": status, "count": count, "data": data, "error": None}


def err(
    status: int, code: str, message: str, *, details: str | None = None, hint: str | None = None
) -> Line:
    error = {"code": code, "message": message, "details": details, "hint": hint}
    return {"status": status, "count": None, "data": None, "error": error}


def ids(*numbers: int) -> list[dict[str, int]]:
    return [{"id": n} for n in numbers]


EXPECTED: dict[str, Line] = {
    "select_all": ok(ids(1, 2, 3, 4)),
    "select_alias_cast": ok([{"myId": "2", "name": "Two"}]),
    "select_json_arrow": ok(
        [
            {"id": 1, "bar": "baz", "n": 1},
            {"id": 2, "bar": "qux", "n": 2},
            {"id": 3, "bar": "baz", "n": 3},
        ]
    ),
    "order_desc_limit": ok(ids(15, 14, 13)),
    "order_nulls_first": ok(
        [
            {"id": 2, "score": None},
            {"id": 5, "score": None},
            {"id": 3, "score": 10},
            {"id": 4, "score": 20},
            {"id": 1, "score": 30},
        ]
    ),
    "order_desc_nulls_last": ok(ids(1, 4, 3, 2, 5)),
    "range": ok(ids(3, 4, 5)),
    "eq": ok(ids(5)),
    "neq_lt": ok(ids(2, 3)),
    "gt_gte_lte": ok(ids(12, 13)),
    "like": ok(ids(2)),
    "ilike": ok([{"name": "Two"}, {"name": "Three"}]),
    "in_reserved_characters": ok(ids(1, 3, 4)),
    "is_null": ok(ids(2, 5)),
    "is_true": ok(ids(1)),
    "not_is_null": ok(ids(1, 3, 4)),
    "not_in": ok(ids(4, 5)),
    "match": ok(ids(2)),
    "filter_raw": ok(ids(4, 6)),
    "or": ok(ids(1, 3)),
    "or_nested_and": ok(ids(1, 13)),
    "or_with_filters": ok(ids(9)),
    "contains_array": ok(ids(2, 3)),
    "contained_by_array": ok(ids(1, 2)),
    "overlaps_array": ok(ids(3)),
    "contains_json": ok(ids(1, 5)),
    "range_gt": ok(ids(3, 4)),
    "range_adjacent": ok(ids(4)),
    "fts": ok(ids(1)),
    "fts_plain_config": ok([{"text_search_vector": "'fun':5 'imposs':9 'kind':3"}]),
    "fts_phrase": ok([{"text_search_vector": "'ate':3 'cat':2 'fat':1 'rat':4"}]),
    "fts_websearch": ok([{"text_search_vector": "'also':2 'fun':3 'possibl':8"}]),
    "count_exact": ok(ids(1, 2), status=206, count=15),
    "count_exact_head": ok(None, count=15),
    "count_exact_filtered": ok(None, count=5),
    "single": ok({"id": 7}),
    "single_many_rows": err(
        406,
        "PGRST116",
        "Cannot coerce the result to a single JSON object",
        details="The result contains 2 rows",
    ),
    "single_no_rows": err(
        406,
        "PGRST116",
        "Cannot coerce the result to a single JSON object",
        details="The result contains 0 rows",
    ),
    "maybe_single_one": ok({"id": 7}),
    "maybe_single_none": ok(None),
    "maybe_single_many": err(
        406,
        "PGRST116",
        "JSON object requested, multiple (or no) rows returned",
        details="Results contain 2 rows, application/vnd.pgrst.object+json requires 1 row",
    ),
    "csv": ok("id,name\n1,One\n2,Two\n3,Three"),
    "view": ok(ids(5, 4, 3, 2, 1)),
    "schema_v2": ok([{"id": 1, "name": "parent 1"}]),
    "schema_jsclient": ok(
        [
            {
                "id": 1,
                "title": "A Wizard of Earthsea",
                "tags": ["fantasy", "sea"],
                "meta": {"pages": 183},
                "published": "1968-11-01",
            },
            {
                "id": 2,
                "title": "The Dispossessed",
                "tags": ["scifi"],
                "meta": None,
                "published": "1974-05-01",
            },
            {
                "id": 3,
                "title": "Invisible Cities",
                "tags": [],
                "meta": {"pages": 165},
                "published": None,
            },
        ]
    ),
    "enum_filter": ok([{"name": "Italo"}]),
    "rpc_post_args": ok(3),
    "rpc_get_args": ok("Hello, world"),
    "rpc_setof_filtered": ok(ids(8, 7, 6, 5)),
    "rpc_get_count_head": ok(None, count=5),
    "rpc_table_result": ok([{"x": 2, "y": "two"}]),
    "rpc_defaults": ok({"a": 1, "b": "two", "c": True}),
    "rpc_array_arg": ok(6),
    "rpc_array_arg_get": ok(9),
    "rpc_void": ok(None, status=204),
    "rpc_single": ok({"id": 2}),
    "rpc_schema_v2": ok("v2"),
    "rpc_jsclient_setof": ok([{"title": "A Wizard of Earthsea"}, {"title": "The Dispossessed"}]),
    "rpc_jsclient_enum": ok("sad"),
    "signed_in_read": ok([{"id": 1, "secret": "only for gw_user"}]),
    "error_unknown_column": err(400, "42703", "column items.nope does not exist"),
    "error_unknown_table": err(
        404,
        "PGRST205",
        "Could not find the table 'test.itemz' in the schema cache",
        hint="Perhaps you meant the table 'test.items'",
    ),
    "error_anon_forbidden": err(401, "42501", "permission denied for table authors_only"),
    "error_bad_operator": err(
        400,
        "PGRST100",
        '"failed to parse filter (eqq.1)" (line 1, column 5)',
        details="unknown single value operator eqq",
    ),
    "error_rpc_unknown": err(
        404,
        "PGRST202",
        "Could not find the function test.add_them(x) in the schema cache",
        details="Searched for the function test.add_them with parameter x or with a single unnamed "
        "json/jsonb parameter, but no matches were found in the schema cache.",
        hint="Perhaps you meant to call the function test.add_them(a, b)",
    ),
    "error_raise_pt402": err(
        402, "PT402", "Payment Required", details="Quota exceeded", hint="Upgrade your plan"
    ),
    "error_raise_sqlstate": err(
        409, "23505", "dup", details="detail for 23505", hint="hint for 23505"
    ),
    "error_division_by_zero": err(400, "22012", "division by zero"),
    "error_unknown_schema": err(
        406,
        "PGRST106",
        "Invalid schema: private",
        hint="Only the following schemas are exposed: test, v2, jsclient",
    ),
    "error_throw_on_error": {
        "thrown": {
            "name": "PostgrestError",
            "message": "Payment Required",
            "code": "PT402",
            "details": "Quota exceeded",
            "hint": "Upgrade your plan",
        }
    },
}


@pytest.fixture(scope="module")
def results(spec_db: Database, start_gateway: GatewayFactory) -> dict[str, Line]:
    harness.install()
    gateway = harness.js_gateway(spec_db, start_gateway)
    return harness.run_cases(gateway, "reads")


def test_every_case_has_an_expectation(results: dict[str, Line]) -> None:
    assert sorted(results) == sorted(EXPECTED)


@pytest.mark.parametrize("case", EXPECTED)
def test_case(results: dict[str, Line], case: str) -> None:
    assert results[case] == EXPECTED[case]

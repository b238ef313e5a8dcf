"""text/csv output: a header line of column names, then one line per row in
PostgreSQL's record text format (PostgREST builds it with `substring(row::text …)`),
lines joined by \\n with no trailing newline, NULL as an empty field.
"""

from __future__ import annotations

import requests

from tests.gateway.conftest import Gateway
from tests.gateway.spec._http import CSV_CT

CSV = {"Accept": "text/csv"}


def assert_csv(resp: requests.Response, text: str) -> None:
    assert resp.status_code == 200, resp.text
    assert resp.headers["Content-Type"] == CSV_CT
    assert resp.text == text


def test_simple_columns(api: Gateway) -> None:
    assert_csv(
        api.get("/complex_items?select=id,name&order=id", headers=CSV),
        "id,name\n1,One\n2,Two\n3,Three",
    )


def test_quoting_of_reserved_characters(api: Gateway) -> None:
    assert_csv(
        api.get("/special_chars?id=lte.7&order=id", headers=CSV),
        'id,val\n1,"a,b"\n2,a.b\n3,"(a)"\n4,"say ""hi"""\n5,"back\\\\slash"\n6,a:b\n7," padded "',
    )


def test_nulls_booleans_arrays(api: Gateway) -> None:
    assert_csv(
        api.get("/types?order=id", headers=CSV),
        'id,num,day,flag,tags\n1,1.50,2024-01-31,t,"{x,y}"\n2,2.25,2024-02-29,f,{y}\n3,,,,{}',
    )


def test_json_column_is_quoted(api: Gateway) -> None:
    assert_csv(
        api.get("/complex_items?select=id,settings&id=eq.3", headers=CSV),
        'id,settings\n3,"{""foo"": {""bar"": ""baz"", ""int"": 3}, ""tags"": []}"',
    )


def test_csv_with_range_keeps_content_range(api: Gateway) -> None:
    resp = api.get("/items?order=id&limit=2", headers=CSV)
    assert_csv(resp, "id\n1\n2")
    assert resp.headers["Content-Range"] == "0-1/*"


def test_csv_with_accept_parameters(api: Gateway) -> None:
    assert_csv(api.get("/items?id=eq.1", headers={"Accept": "text/csv; version=1"}), "id\n1")


def test_csv_preferred_over_wildcard(api: Gateway) -> None:
    assert_csv(api.get("/items?id=eq.1", headers={"Accept": "text/csv, */*"}), "id\n1")


def test_client_order_wins_over_server_preference(api: Gateway) -> None:
    assert_csv(api.get("/items?id=eq.1", headers={"Accept": "text/csv, application/json"}), "id\n1")


def test_head_csv(api: Gateway) -> None:
    resp = api.head("/items?id=eq.1", headers=CSV)
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == CSV_CT
    assert resp.content == b""


def test_empty_result_is_an_empty_header_and_newline(api: Gateway) -> None:
    # header (no first row: '') || '\n' || body ('') — SqlFragment.hs asCsvF.
    assert_csv(api.get("/items?id=gt.100", headers=CSV), "\n")

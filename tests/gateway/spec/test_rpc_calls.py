"""Calling functions: POST with named JSON arguments, GET/HEAD with query-string
arguments, defaults, VARIADIC, overloads, single unnamed json/jsonb/text/bytea
parameters, and the transaction access mode (PostgREST's RpcSpec.hs and the
"Transactions > Access Mode" page of its v12 docs).
"""

from __future__ import annotations

from typing import Any

import psycopg

from tests.gateway.conftest import Gateway
from tests.gateway.spec._http import JSON_CT, assert_error, assert_json, ids


def test_post_named_arguments(api: Gateway) -> None:
    assert_json(api.post("/rpc/add_them", json={"a": 3, "b": 4}), 200, 7)


def test_get_query_string_arguments(api: Gateway) -> None:
    assert_json(api.get("/rpc/add_them?a=3&b=4"), 200, 7)


def test_get_text_argument_with_unicode(api: Gateway) -> None:
    assert_json(api.get("/rpc/sayhello?name=%EF%BF%A5"), 200, "Hello, \uffe5")


def test_post_text_argument(api: Gateway) -> None:
    assert_json(api.post("/rpc/sayhello", json={"name": "world"}), 200, "Hello, world")


def test_head_has_headers_and_no_body(api: Gateway) -> None:
    resp = api.head("/rpc/getitemrange?min=2&max=4")
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == JSON_CT
    assert resp.headers["Content-Range"] == "0-1/*"
    assert resp.content == b""


def test_no_arguments_get_and_empty_post(api: Gateway) -> None:
    assert_json(api.get("/rpc/ret_setof_integers"), 200, [1, 2, 3])
    assert_json(api.post("/rpc/ret_setof_integers", data=b""), 200, [1, 2, 3])
    assert_json(api.post("/rpc/ret_setof_integers", json={}), 200, [1, 2, 3])
    # An empty JSON body means "no arguments" for RPC (PostgREST #777).
    empty_json = {"Content-Type": "application/json"}
    assert_json(api.post("/rpc/ret_setof_integers", data=b"", headers=empty_json), 200, [1, 2, 3])


def test_defaults_fill_omitted_arguments(api: Gateway) -> None:
    assert_json(api.post("/rpc/many_defaults", json={"a": 1}), 200, {"a": 1, "b": "two", "c": True})
    assert_json(api.get("/rpc/many_defaults?a=1&c=false"), 200, {"a": 1, "b": "two", "c": False})


def test_array_argument_json_and_query_string(api: Gateway) -> None:
    assert_json(api.post("/rpc/array_param", json={"arr": [1, 2, 3]}), 200, 6)
    assert_json(api.get("/rpc/array_param?arr=%7B4,5%7D"), 200, 9)


def test_variadic_post(api: Gateway) -> None:
    assert_json(
        api.post("/rpc/variadic_param", json={"v": ["hi", "hello", "there"]}),
        200,
        ["hi", "hello", "there"],
    )


def test_variadic_get_repeated_params(api: Gateway) -> None:
    assert_json(api.get("/rpc/variadic_param"), 200, [])
    assert_json(api.get("/rpc/variadic_param?v=hi"), 200, ["hi"])
    assert_json(api.get("/rpc/variadic_param?v=hi&v=there"), 200, ["hi", "there"])


def test_repeated_non_variadic_param_takes_the_last_value(api: Gateway) -> None:
    assert_json(api.get("/rpc/sayhello?name=ignored&name=world"), 200, "Hello, world")


def test_overloads_are_resolved_by_argument_names(api: Gateway) -> None:
    assert_json(api.get("/rpc/overloaded"), 200, [1, 2, 3])
    assert_json(api.get("/rpc/overloaded?a=1&b=2"), 200, 3)
    assert_json(api.get("/rpc/overloaded?a=1&b=2&c=3"), 200, "123")
    assert_json(api.post("/rpc/overloaded", json={"a": 1, "b": 2}), 200, 3)
    assert_json(api.post("/rpc/overloaded", json={"a": "x", "b": "y", "c": "z"}), 200, "xyz")


def test_only_the_first_object_of_an_array_payload_is_used(api: Gateway) -> None:
    assert_json(api.post("/rpc/add_them", json=[{"a": 1, "b": 2}, {"a": 4, "b": 6}]), 200, 3)


def test_single_unnamed_json_param_takes_the_raw_body(api: Gateway) -> None:
    payload = {"A": 1, "B": [2, {"c": None}]}
    assert_json(api.post("/rpc/unnamed_json_param", json=payload), 200, payload)
    assert_json(api.post("/rpc/unnamed_jsonb_param", json=[1, "two"]), 200, [1, "two"])


def test_single_unnamed_text_param_takes_a_text_plain_body(api: Gateway) -> None:
    resp = api.post(
        "/rpc/unnamed_text_param",
        data=b"hello, world",
        headers={"Content-Type": "text/plain", "Accept": "text/plain"},
    )
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert resp.text == "hello, world"


def test_single_unnamed_text_param_answers_json_by_default(api: Gateway) -> None:
    resp = api.post(
        "/rpc/unnamed_text_param", data=b"plain", headers={"Content-Type": "text/plain"}
    )
    assert_json(resp, 200, "plain")


def test_single_unnamed_bytea_param_takes_an_octet_stream_body(api: Gateway) -> None:
    blob = bytes(range(256))
    resp = api.post(
        "/rpc/unnamed_bytea_param",
        data=blob,
        headers={"Content-Type": "application/octet-stream", "Accept": "application/octet-stream"},
    )
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "application/octet-stream"
    assert resp.content == blob


def test_get_runs_read_only_even_for_volatile(api: Gateway) -> None:
    assert_json(api.get("/rpc/tx_read_only"), 200, "on")
    assert_json(api.get("/rpc/volatile_reader"), 200, 15)


def test_post_volatile_runs_read_write(api: Gateway) -> None:
    assert_json(api.post("/rpc/tx_read_only", json={}), 200, "off")


def test_post_stable_runs_read_only(api: Gateway) -> None:
    assert_json(api.post("/rpc/tx_read_only_stable", json={}), 200, "on")


def test_get_on_a_writing_function_is_405_and_writes_nothing(
    api: Gateway, admin_conn: psycopg.Connection[tuple[Any, ...]]
) -> None:
    assert_error(
        api.get("/rpc/write_log?note=from-get"),
        405,
        "25006",
        "cannot execute INSERT in a read-only transaction",
    )
    row = admin_conn.execute("SELECT count(*) FROM test.rpc_log WHERE note = 'from-get'").fetchone()
    assert row == (0,)


def test_head_on_a_writing_function_is_405(api: Gateway) -> None:
    resp = api.head("/rpc/write_log")
    assert resp.status_code == 405
    assert resp.content == b""


def test_set_returning_function_takes_range_and_filters(api: Gateway) -> None:
    assert_json(
        api.get("/rpc/getitemrange?min=2&max=4", headers={"Range": "1-1"}),
        200,
        ids(4),
        content_range="1-1/*",
    )


def test_function_in_second_schema_via_accept_profile(api: Gateway) -> None:
    resp = api.get("/rpc/get_version", headers={"Accept-Profile": "v2"})
    assert_json(resp, 200, "v2", headers={"Content-Profile": "v2"})
    resp = api.post("/rpc/get_version", json={}, headers={"Content-Profile": "v2"})
    assert_json(resp, 200, "v2", headers={"Content-Profile": "v2"})
    assert_json(api.get("/rpc/get_version"), 200, "test", headers={"Content-Profile": "test"})


def test_argument_and_filter_with_the_same_name(api: Gateway) -> None:
    assert_json(api.get("/rpc/items_below?id=5&id=gt.2"), 200, ids(3, 4))
    assert_json(api.get("/rpc/items_below?id=5&id=not.in.(1,3)"), 200, ids(2, 4))


def test_columns_limits_the_json_keys_used_as_arguments(api: Gateway) -> None:
    resp = api.post(
        "/rpc/sayhello?columns=name",
        json={"name": "John", "smth": "here", "other": "stuff", "fake_id": 13},
    )
    assert_json(resp, 200, "Hello, John")


def test_form_urlencoded_arguments(api: Gateway) -> None:
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    assert_json(api.post("/rpc/add_them", data="a=1&b=2", headers=form), 200, 3)
    assert_json(
        api.post("/rpc/variadic_param", data="v=hi&v=there", headers=form), 200, ["hi", "there"]
    )
    assert_json(api.post("/rpc/variadic_param", data="", headers=form), 200, [])

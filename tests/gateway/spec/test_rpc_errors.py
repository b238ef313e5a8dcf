"""RPC failures: unknown function or arguments (PGRST202 with PostgREST's fuzzy hints),
unsupported methods (PGRST101), bad bodies (PGRST102), privileges (42501).
"""

from __future__ import annotations

from tests.gateway.conftest import Gateway, user_headers
from tests.gateway.spec._http import assert_error, assert_json


def test_unknown_function_hints_the_closest_name(api: Gateway) -> None:
    assert_error(
        api.get("/rpc/sayhell"),
        404,
        "PGRST202",
        "Could not find the function test.sayhell without parameters in the schema cache",
        "Searched for the function test.sayhell without parameters,"
        " but no matches were found in the schema cache.",
        "Perhaps you meant to call the function test.sayhello",
    )


def test_unknown_function_via_post_mentions_unnamed_json(api: Gateway) -> None:
    assert_error(
        api.post("/rpc/sayhell", json={}),
        404,
        "PGRST202",
        "Could not find the function test.sayhell without parameters in the schema cache",
        "Searched for the function test.sayhell without parameters or with a single unnamed"
        " json/jsonb parameter, but no matches were found in the schema cache.",
        "Perhaps you meant to call the function test.sayhello",
    )


def test_unknown_function_far_from_any_name_has_no_hint(api: Gateway) -> None:
    assert_error(
        api.get("/rpc/zzqqxx_nothing"),
        404,
        "PGRST202",
        "Could not find the function test.zzqqxx_nothing without parameters in the schema cache",
        "Searched for the function test.zzqqxx_nothing without parameters,"
        " but no matches were found in the schema cache.",
    )


def test_wrong_argument_name_hints_the_right_one(api: Gateway) -> None:
    assert_error(
        api.get("/rpc/sayhello?nam=Peter"),
        404,
        "PGRST202",
        "Could not find the function test.sayhello(nam) in the schema cache",
        "Searched for the function test.sayhello with parameter nam,"
        " but no matches were found in the schema cache.",
        "Perhaps you meant to call the function test.sayhello(name)",
    )


def test_extra_argument_is_not_ignored(api: Gateway) -> None:
    assert_error(
        api.get("/rpc/add_them?a=1&b=2&smthelse=blabla"),
        404,
        "PGRST202",
        "Could not find the function test.add_them(a, b, smthelse) in the schema cache",
        "Searched for the function test.add_them with parameters a, b, smthelse,"
        " but no matches were found in the schema cache.",
        "Perhaps you meant to call the function test.add_them(a, b)",
    )


def test_overloaded_function_with_unknown_arguments(api: Gateway) -> None:
    assert_error(
        api.get("/rpc/overloaded?wrong_arg=value"),
        404,
        "PGRST202",
        "Could not find the function test.overloaded(wrong_arg) in the schema cache",
        "Searched for the function test.overloaded with parameter wrong_arg,"
        " but no matches were found in the schema cache.",
    )
    assert_error(
        api.get("/rpc/overloaded?a=1&b=2&wrong_arg=value"),
        404,
        "PGRST202",
        "Could not find the function test.overloaded(a, b, wrong_arg) in the schema cache",
        "Searched for the function test.overloaded with parameters a, b, wrong_arg,"
        " but no matches were found in the schema cache.",
        "Perhaps you meant to call the function test.overloaded(a, b, c)",
    )


def test_function_in_an_unexposed_schema_is_406(api: Gateway) -> None:
    resp = api.get("/rpc/get_version", headers={"Accept-Profile": "private"})
    assert_error(
        resp,
        406,
        "PGRST106",
        "Invalid schema: private",
        hint="Only the following schemas are exposed: test, v2",
    )


def test_delete_on_rpc_is_405(api: Gateway) -> None:
    assert_error(
        api.request("DELETE", "/rpc/sayhello"),
        405,
        "PGRST101",
        "Cannot use the DELETE method on RPC",
    )


def test_patch_on_rpc_is_405(api: Gateway) -> None:
    assert_error(
        api.request("PATCH", "/rpc/sayhello", json={}),
        405,
        "PGRST101",
        "Cannot use the PATCH method on RPC",
    )


def test_malformed_json_body_is_400(api: Gateway) -> None:
    # v12.0.1 (#2344) replaced aeson's parser message with a generic one.
    resp = api.post("/rpc/sayhello", data=b"sdfsdf", headers={"Content-Type": "application/json"})
    assert_error(resp, 400, "PGRST102", "Empty or invalid json")


def test_wrong_json_argument_type_is_a_postgres_error(api: Gateway) -> None:
    assert_error(
        api.post("/rpc/add_them", json={"a": "one", "b": 2}),
        400,
        "22P02",
        'invalid input syntax for type integer: "one"',
    )


def test_wrong_argument_type_is_a_postgres_error(api: Gateway) -> None:
    assert_error(
        api.get("/rpc/add_them?a=one&b=2"),
        400,
        "22P02",
        'invalid input syntax for type integer: "one"',
    )


def test_execute_privilege_is_enforced(api: Gateway) -> None:
    assert_error(
        api.get("/rpc/privileged_fn"),
        401,
        "42501",
        "permission denied for function privileged_fn",
        headers={"WWW-Authenticate": "Bearer"},
    )
    assert_json(api.get("/rpc/privileged_fn", headers=user_headers()), 200, "privileged")
    assert_error(
        api.get("/rpc/privileged_fn", headers=user_headers("gw_admin")),
        403,
        "42501",
        "permission denied for function privileged_fn",
    )


def test_no_single_unnamed_text_function(api: Gateway) -> None:
    assert_error(
        api.post("/rpc/add_them", data=b"a simple text", headers={"Content-Type": "text/plain"}),
        404,
        "PGRST202",
        "Could not find the function test.add_them in the schema cache",
        "Searched for the function test.add_them with a single unnamed text parameter,"
        " but no matches were found in the schema cache.",
    )


def test_no_single_unnamed_bytea_function(api: Gateway) -> None:
    resp = api.post(
        "/rpc/add_them", data=b"\x00\x01", headers={"Content-Type": "application/octet-stream"}
    )
    assert_error(
        resp,
        404,
        "PGRST202",
        "Could not find the function test.add_them in the schema cache",
        "Searched for the function test.add_them with a single unnamed bytea parameter,"
        " but no matches were found in the schema cache.",
    )


def test_json_body_that_matches_no_parameters(api: Gateway) -> None:
    assert_error(
        api.post("/rpc/add_them", json={"x": 1, "y": 2}),
        404,
        "PGRST202",
        "Could not find the function test.add_them(x, y) in the schema cache",
        "Searched for the function test.add_them with parameters x, y or with a single unnamed"
        " json/jsonb parameter, but no matches were found in the schema cache.",
        "Perhaps you meant to call the function test.add_them(a, b)",
    )

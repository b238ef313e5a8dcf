"""OpenAPI (Swagger 2.0) at the root for the exposed schema, following privileges, with
SQL comments as summaries and descriptions; OPTIONS answers with Allow. Ported from
PostgREST's OpenApiSpec.hs, RootSpec.hs, MultipleSchemaSpec.hs and OptionsSpec.hs.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.gateway.conftest import Gateway, GatewayFactory, user_headers
from tests.gateway.spec._http import OPENAPI_CT, assert_error, body_json

GET_PARAMETERS = [
    {"$ref": "#/parameters/select"},
    {"$ref": "#/parameters/order"},
    {"$ref": "#/parameters/range"},
    {"$ref": "#/parameters/rangeUnit"},
    {"$ref": "#/parameters/offset"},
    {"$ref": "#/parameters/limit"},
    {"$ref": "#/parameters/preferCount"},
]


def openapi(gw: Gateway, **kwargs: Any) -> dict[str, Any]:
    resp = gw.get("/", **kwargs)
    assert resp.status_code == 200, resp.text
    assert resp.headers["Content-Type"] == OPENAPI_CT
    doc: dict[str, Any] = body_json(resp)
    return doc


@pytest.fixture(scope="module")
def anon_doc(gateway: Gateway) -> dict[str, Any]:
    return openapi(gateway)


def test_swagger_2_with_schema_comment_as_info(anon_doc: dict[str, Any]) -> None:
    assert anon_doc["swagger"] == "2.0"
    assert anon_doc["info"]["title"] == "Taproot gateway spec"
    assert anon_doc["info"]["description"] == "Fixture API pinning PostgREST v12 behaviour."


def test_head_root(api: Gateway) -> None:
    resp = api.head("/")
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == OPENAPI_CT
    assert resp.content == b""


def test_explicit_openapi_accept(api: Gateway) -> None:
    openapi(api, headers={"Accept": "application/openapi+json"})


def test_root_with_unsupported_accept_is_406(api: Gateway) -> None:
    assert api.get("/", headers={"Accept": "text/csv"}).status_code == 406


def test_openapi_accept_on_a_table_is_406(api: Gateway) -> None:
    assert api.get("/items", headers={"Accept": "application/openapi+json"}).status_code == 406


def test_table_path_with_comment_summary_and_parameters(anon_doc: dict[str, Any]) -> None:
    get = anon_doc["paths"]["/openapi_doc"]["get"]
    assert get["summary"] == "Documented table"
    assert "description" not in get
    assert get["parameters"] == [
        {"$ref": "#/parameters/rowFilter.openapi_doc.id"},
        {"$ref": "#/parameters/rowFilter.openapi_doc.label"},
        {"$ref": "#/parameters/rowFilter.openapi_doc.note"},
        *GET_PARAMETERS,
    ]
    assert get["responses"]["200"]["schema"] == {
        "items": {"$ref": "#/definitions/openapi_doc"},
        "type": "array",
    }


def test_multi_line_comment_splits_summary_and_description(anon_doc: dict[str, Any]) -> None:
    get = anon_doc["paths"]["/items"]["get"]
    assert get["summary"] == "Numbered items"
    assert get["description"] == "One row per number from 1 to 15."


def test_table_definition(anon_doc: dict[str, Any]) -> None:
    assert anon_doc["definitions"]["openapi_doc"] == {
        "type": "object",
        "description": "Documented table",
        "properties": {
            "id": {
                "description": "The identifier\n\nNote:\nThis is a Primary Key.<pk/>",
                "format": "integer",
                "type": "integer",
            },
            "label": {"description": "A label", "format": "text", "type": "string"},
            "note": {"format": "text", "type": "string"},
        },
        "required": ["id", "label"],
    }


def test_function_path_with_comment(anon_doc: dict[str, Any]) -> None:
    path = anon_doc["paths"]["/rpc/getitemrange"]
    assert path["get"]["summary"] == "Items in a range"
    assert path["get"]["description"] == (
        "Returns the items whose id is greater than min and at most max."
    )
    assert "post" in path


def test_follows_privileges_for_anon(anon_doc: dict[str, Any]) -> None:
    assert "/authors_only" not in anon_doc["paths"]
    assert "/rpc/privileged_fn" not in anon_doc["paths"]
    assert "/items" in anon_doc["paths"]
    assert "/rpc/sayhello" in anon_doc["paths"]


def test_follows_privileges_for_a_signed_in_role(api: Gateway) -> None:
    doc = openapi(api, headers=user_headers())
    assert "/authors_only" in doc["paths"]
    assert "/rpc/privileged_fn" in doc["paths"]


def test_unexposed_schemas_never_appear(anon_doc: dict[str, Any]) -> None:
    assert "/secrets" not in anon_doc["paths"]
    assert "/parents" not in anon_doc["paths"]


def test_second_profile(api: Gateway) -> None:
    resp = api.get("/", headers={"Accept-Profile": "v2"})
    assert resp.status_code == 200
    assert resp.headers["Content-Profile"] == "v2"
    doc = body_json(resp)
    assert "/parents" in doc["paths"]
    assert "/openapi_doc" not in doc["paths"]
    assert doc["definitions"]["parents"] == {
        "type": "object",
        "properties": {
            "id": {
                "description": "Note:\nThis is a Primary Key.<pk/>",
                "format": "integer",
                "type": "integer",
            },
            "name": {"format": "text", "type": "string"},
        },
        "required": ["id", "name"],
    }


@pytest.mark.parametrize(
    ("path", "allow"),
    [
        ("/", "OPTIONS,GET,HEAD"),
        ("/items", "OPTIONS,GET,HEAD,POST,PUT,PATCH,DELETE"),
        ("/rpc/getitemrange", "OPTIONS,GET,HEAD,POST"),
        ("/rpc/sayhello", "OPTIONS,GET,HEAD,POST"),
        ("/rpc/write_log", "OPTIONS,POST"),
    ],
)
def test_options_allow(api: Gateway, path: str, allow: str) -> None:
    resp = api.options(path)
    assert resp.status_code == 200
    assert resp.headers["Allow"] == allow


def test_options_on_unknown_table_is_404(api: Gateway) -> None:
    assert api.options("/xyzzy_nothing_like_it").status_code == 404


def test_function_get_parameters_are_its_arguments(anon_doc: dict[str, Any]) -> None:
    assert anon_doc["paths"]["/rpc/getitemrange"]["get"]["parameters"] == [
        {"format": "bigint", "in": "query", "name": "min", "required": True, "type": "integer"},
        {"format": "bigint", "in": "query", "name": "max", "required": True, "type": "integer"},
    ]


def test_function_arguments_with_defaults_are_optional(anon_doc: dict[str, Any]) -> None:
    assert anon_doc["paths"]["/rpc/many_defaults"]["get"]["parameters"] == [
        {"format": "integer", "in": "query", "name": "a", "required": True, "type": "integer"},
        {"format": "text", "in": "query", "name": "b", "required": False, "type": "string"},
        {"format": "boolean", "in": "query", "name": "c", "required": False, "type": "boolean"},
    ]


def test_function_post_body_schema(anon_doc: dict[str, Any]) -> None:
    post = anon_doc["paths"]["/rpc/getitemrange"]["post"]
    assert post["tags"] == ["(rpc) getitemrange"]
    assert post["parameters"][0]["schema"] == {
        "required": ["min", "max"],
        "properties": {
            "min": {"format": "bigint", "type": "integer"},
            "max": {"format": "bigint", "type": "integer"},
        },
        "type": "object",
        "description": (
            "Items in a range\n\nReturns the items whose id is greater than min and at most max."
        ),
    }


def test_table_operations_are_tagged_with_the_table(anon_doc: dict[str, Any]) -> None:
    path = anon_doc["paths"]["/openapi_doc"]
    assert path["get"]["tags"] == ["openapi_doc"]
    assert path["post"]["tags"] == ["openapi_doc"]


def test_json_and_array_columns(anon_doc: dict[str, Any]) -> None:
    properties = anon_doc["definitions"]["complex_items"]["properties"]
    assert properties["settings"] == {"format": "jsonb"}
    assert properties["arr_data"] == {
        "format": "integer[]",
        "type": "array",
        "items": {"type": "integer"},
    }


@pytest.fixture(scope="module")
def no_openapi(start_gateway: GatewayFactory) -> Gateway:
    return start_gateway(PGRST_OPENAPI_MODE="disabled")


def test_disabled_openapi_is_404_pgrst126(no_openapi: Gateway) -> None:
    assert_error(
        no_openapi.get("/", headers={"Accept": "application/openapi+json"}),
        404,
        "PGRST126",
        "Root endpoint metadata is disabled",
    )
    # Everything else keeps working.
    assert no_openapi.get("/items?id=eq.1").json() == [{"id": 1}]


def test_ignore_privileges_lists_everything(start_gateway: GatewayFactory) -> None:
    doc = openapi(start_gateway(PGRST_OPENAPI_MODE="ignore-privileges"))
    assert "/authors_only" in doc["paths"]
    assert "/rpc/privileged_fn" in doc["paths"]

"""Several exposed schemas (db-schemas = test,v2): Accept-Profile picks the schema for
GET/HEAD, Content-Profile for POST; responses name it in Content-Profile; a schema
that is not exposed is 406 PGRST106. Ported from MultipleSchemaSpec.hs.
"""

from __future__ import annotations

from tests.gateway.conftest import Gateway
from tests.gateway.spec._http import assert_error, assert_json, ids

V2_ITEMS = [{"id": 1, "label": "v2 one"}, {"id": 2, "label": "v2 two"}]
NOT_EXPOSED = "Only the following schemas are exposed: test, v2"


def test_default_schema_is_the_first(api: Gateway) -> None:
    resp = api.get("/items?id=lte.2&order=id")
    assert_json(resp, 200, ids(1, 2), headers={"Content-Profile": "test"})


def test_explicit_default_schema(api: Gateway) -> None:
    resp = api.get("/items?id=lte.2&order=id", headers={"Accept-Profile": "test"})
    assert_json(resp, 200, ids(1, 2), headers={"Content-Profile": "test"})


def test_second_schema(api: Gateway) -> None:
    resp = api.get("/items?order=id", headers={"Accept-Profile": "v2"})
    assert_json(resp, 200, V2_ITEMS, headers={"Content-Profile": "v2"})


def test_table_only_in_second_schema(api: Gateway) -> None:
    resp = api.get("/parents", headers={"Accept-Profile": "v2"})
    assert_json(resp, 200, [{"id": 1, "name": "parent 1"}], headers={"Content-Profile": "v2"})
    assert_error(
        api.get("/parents"),
        404,
        "PGRST205",
        "Could not find the table 'test.parents' in the schema cache",
    )


def test_head_with_profile(api: Gateway) -> None:
    resp = api.head("/items", headers={"Accept-Profile": "v2"})
    assert resp.status_code == 200
    assert resp.headers["Content-Profile"] == "v2"
    assert resp.headers["Content-Range"] == "0-1/*"


def test_unexposed_schema_is_406(api: Gateway) -> None:
    assert_error(
        api.get("/secrets", headers={"Accept-Profile": "private"}),
        406,
        "PGRST106",
        "Invalid schema: private",
        hint=NOT_EXPOSED,
    )


def test_unknown_schema_is_406(api: Gateway) -> None:
    assert_error(
        api.get("/items", headers={"Accept-Profile": "nope"}),
        406,
        "PGRST106",
        "Invalid schema: nope",
        hint=NOT_EXPOSED,
    )


def test_content_profile_selects_the_schema_of_a_post(api: Gateway) -> None:
    assert_error(
        api.post("/rpc/get_version", json={}, headers={"Content-Profile": "private"}),
        406,
        "PGRST106",
        "Invalid schema: private",
        hint=NOT_EXPOSED,
    )


def test_openapi_of_an_unexposed_schema_is_406(api: Gateway) -> None:
    assert_error(
        api.get("/", headers={"Accept-Profile": "private"}),
        406,
        "PGRST106",
        "Invalid schema: private",
        hint=NOT_EXPOSED,
    )

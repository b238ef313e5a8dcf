"""Custom media-type handlers (PostgREST 12, CustomMediaSpec.hs; fixtures/media.sql).

A domain named after a media type, returned by an aggregate over a relation's rows (or
over anyelement) or by a function, answers that media type: the aggregate for tables,
views and set-returning functions of that table, the function for its own scalar. The
relation's own handlers apply only with the default select; its `*/*` handler answers
any Accept; vendor types cannot be overridden; nothing matching is 406 PGRST107.
"""

from __future__ import annotations

import pytest
import requests

from tests.gateway.conftest import Gateway, GatewayFactory
from tests.gateway.spec._http import CSV_CT, JSON_CT, OBJECT_CT, assert_error, assert_json

TWKB = {"Accept": "application/vnd.twkb"}
LINES_TWKB = b"\x00\x00\x00\x01\x00\x00\x00\x02"


def _raw(resp: requests.Response, status: int, body: bytes, content_type: str) -> None:
    where = f"{resp.request.url} -> {resp.status_code} {resp.headers} {resp.content!r}"
    assert resp.status_code == status, where
    assert resp.headers.get("Content-Type") == content_type, where
    assert resp.content == body, where


def test_a_table_aggregate_handler(api: Gateway) -> None:
    resp = api.get("/lines?order=id", headers=TWKB)
    _raw(resp, 200, LINES_TWKB, "application/vnd.twkb")
    assert resp.headers["Content-Range"] == "0-1/*"
    assert resp.headers["Content-Length"] == "8"


def test_a_table_aggregate_handler_with_filters(api: Gateway) -> None:
    _raw(api.get("/lines?id=eq.2", headers=TWKB), 200, b"\x00\x00\x00\x02", "application/vnd.twkb")


def test_the_table_handler_needs_the_default_select(api: Gateway) -> None:
    # the aggregate takes the table's row type: any other select has no handler (#3160)
    for select in ("id", "id,name", "name,id", "*,id"):
        assert_error(
            api.get(f"/lines?select={select}", headers=TWKB),
            406,
            "PGRST107",
            "None of these media types are available: application/vnd.twkb",
        )
    _raw(api.get("/lines?select=*&order=id", headers=TWKB), 200, LINES_TWKB, "application/vnd.twkb")


def test_another_table_has_no_such_handler(api: Gateway) -> None:
    assert_error(
        api.get("/items", headers=TWKB),
        406,
        "PGRST107",
        "None of these media types are available: application/vnd.twkb",
    )


def test_nothing_matching_lists_every_accepted_type(api: Gateway) -> None:
    assert_error(
        api.get("/lines", headers={"Accept": "text/plain, image/png;q=0.5"}),
        406,
        "PGRST107",
        "None of these media types are available: text/plain, image/png",
    )


def test_a_set_returning_function_uses_its_tables_handler(api: Gateway) -> None:
    _raw(api.get("/rpc/get_lines", headers=TWKB), 200, LINES_TWKB, "application/vnd.twkb")


def test_a_function_returning_the_domain(api: Gateway) -> None:
    _raw(
        api.get("/rpc/get_line?id=1", headers=TWKB),
        200,
        b"\x00\x00\x00\x01",
        "application/vnd.twkb",
    )
    # no row: an empty body, still the media type
    _raw(api.get("/rpc/get_line?id=777", headers=TWKB), 200, b"", "application/vnd.twkb")


def test_a_function_returning_the_domain_is_json_for_any(api: Gateway) -> None:
    # PostgREST's FIXME (#3391): */* does not pick the function's own media type
    assert_json(api.get("/rpc/get_line?id=1"), 200, "\\x00000001")


def test_q_values_pick_the_handler(api: Gateway) -> None:
    resp = api.get(
        "/lines?order=id", headers={"Accept": "application/json;q=0.5, application/vnd.twkb"}
    )
    _raw(resp, 200, LINES_TWKB, "application/vnd.twkb")
    resp = api.get(
        "/lines?order=id", headers={"Accept": "application/json, application/vnd.twkb;q=0.9"}
    )
    assert_json(resp, 200, [{"id": 1, "name": "line-1"}, {"id": 2, "name": "line-2"}])


def test_overriding_the_builtin_csv_for_one_table(api: Gateway) -> None:
    resp = api.get("/lines?order=id", headers={"Accept": "text/csv"})
    _raw(resp, 200, "\ufeffid,name\n1,line-1\n2,line-2\n".encode(), CSV_CT)
    assert resp.headers["Content-Disposition"] == 'attachment; filename="lines.csv"'
    # other tables keep the builtin CSV
    resp = api.get("/items?id=lt.3&order=id", headers={"Accept": "text/csv"})
    _raw(resp, 200, b"id\n1\n2", CSV_CT)


def test_an_anyelement_handler_serves_every_relation(api: Gateway) -> None:
    tsv = {"Accept": "text/tab-separated-values"}
    _raw(
        api.get("/lines?order=id", headers=tsv),
        200,
        b"1\tline-1\n2\tline-2\n",
        "text/tab-separated-values",
    )
    _raw(
        api.get("/authors?select=id,name&id=lt.3&order=id", headers=tsv),
        200,
        b"1\tUrsula K. Le Guin\n2\tItalo Calvino\n",
        "text/tab-separated-values",
    )
    _raw(
        api.get("/rpc/get_lines?id=eq.2", headers=tsv),
        200,
        b"2\tline-2\n",
        "text/tab-separated-values",
    )


def test_vendor_types_cannot_be_overridden(api: Gateway) -> None:
    assert_json(
        api.get("/lines?id=eq.1", headers={"Accept": "application/vnd.pgrst.object+json"}),
        200,
        {"id": 1, "name": "line-1"},
        content_type=OBJECT_CT,
    )


def test_the_any_handler_of_a_function_answers_every_accept(api: Gateway) -> None:
    for accept in ("*/*", "app/bingo", "text/bango", "image/boingo", "application/json"):
        resp = api.get("/rpc/ret_any_mt", headers={"Accept": accept})
        _raw(resp, 200, b"any", "application/octet-stream")
    _raw(
        api.get("/rpc/ret_any_mt", headers={"Accept": None}),
        200,
        b"any",
        "application/octet-stream",
    )


def test_the_any_handler_may_set_its_content_type(api: Gateway) -> None:
    _raw(api.get("/rpc/ret_some_mt"), 200, b"groucho", "app/groucho")


def test_the_any_handler_of_a_view(api: Gateway) -> None:
    body = b"1:line-1\n2:line-2\n"
    _raw(api.get("/lines_txt?order=id"), 200, body, "text/plain")
    _raw(api.get("/lines_txt?order=id", headers={"Accept": "text/plain"}), 200, body, "text/plain")
    # it refuses what it does not produce, itself
    assert_error(
        api.get("/lines_txt", headers={"Accept": "application/json"}),
        415,
        "PT415",
        "Unsupported Media Type",
    )
    # with another select the view's handler does not apply: builtins answer
    assert_json(
        api.get("/lines_txt?select=id&order=id"), 200, [{"id": 1}, {"id": 2}], content_type=JSON_CT
    )


def test_head_has_the_content_type_and_no_body(api: Gateway) -> None:
    resp = api.head("/lines", headers=TWKB)
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "application/vnd.twkb"
    assert resp.content == b""


@pytest.mark.parametrize(
    ("accept", "body", "content_type"),
    [
        ("application/vnd.twkb", b"\x00\x00\x00\x03", "application/vnd.twkb"),
        ("text/csv", "\ufeffid,name\n3,line-3\n".encode(), CSV_CT),
    ],
)
def test_a_write_representation_uses_the_handler(
    start_gateway: GatewayFactory, accept: str, body: bytes, content_type: str
) -> None:
    # every transaction rolls back on this gateway: the table keeps its two lines
    gw = start_gateway(PGRST_DB_TX_END="rollback")
    resp = gw.post(
        "/lines",
        json={"id": 3, "name": "line-3"},
        headers={"Accept": accept, "Prefer": "return=representation"},
    )
    _raw(resp, 201, body, content_type)
    resp = gw.post("/lines", json={"id": 3, "name": "line-3"}, headers={"Accept": accept})
    assert (resp.status_code, resp.content) == (201, b"")  # minimal: no body, no handler


def test_the_plan_of_a_handler(start_gateway: GatewayFactory) -> None:
    # Plan.negotiateContent looks the plan's `for` up among the handlers too
    planner = start_gateway(PGRST_DB_PLAN_ENABLED="true")
    resp = planner.get(
        "/lines", headers={"Accept": 'application/vnd.pgrst.plan+json; for="application/vnd.twkb"'}
    )
    assert resp.status_code == 200, resp.text
    assert resp.headers["Content-Type"] == (
        'application/vnd.pgrst.plan+json; for="application/vnd.twkb"; charset=utf-8'
    )
    assert "Plan" in resp.json()[0]
    # with no handler for it, the plan is refused like the media type itself
    resp = planner.get(
        "/items", headers={"Accept": 'application/vnd.pgrst.plan+json; for="application/vnd.twkb"'}
    )
    assert (resp.status_code, resp.json()["code"]) == (406, "PGRST107")

"""Execution plans when `db-plan-enabled`: `Accept: application/vnd.pgrst.plan` (text by
default, `+text`, `+json`), the `analyze|verbose|settings|buffers|wal` options and
`for="<media type>"`, on reads, writes and RPC; 406 when disabled (the default). The
Content-Type names the format, the inner media type (always) and the options in
PostgREST's fixed order. Bodies are checked for shape, never for costs. Ported from
PostgREST's PlanSpec.hs and MediaType.hs (toMime, decodeMediaType).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from taproot.database import Database
from tests.gateway.conftest import Gateway, GatewayFactory
from tests.gateway.spec._http import body_json

JSON_PLAN = 'application/vnd.pgrst.plan+json; for="application/json"'
TEXT_PLAN = 'application/vnd.pgrst.plan+text; for="application/json"'


@pytest.fixture(scope="module")
def planner(start_gateway: GatewayFactory) -> Gateway:
    return start_gateway(PGRST_DB_PLAN_ENABLED="true")


@pytest.fixture
def restore_writes(spec_db: Database) -> Iterator[None]:
    with spec_db.connect() as conn:
        conn.execute("SELECT private.reset_writes()")
    yield
    with spec_db.connect() as conn:
        conn.execute("SELECT private.reset_writes()")


def json_plan(resp: requests.Response, content_type: str) -> dict[str, Any]:
    """A 200 EXPLAIN (FORMAT JSON) answer: one element whose Plan has a Node Type."""
    assert resp.status_code == 200, resp.text
    assert resp.headers["Content-Type"] == content_type + "; charset=utf-8"
    body = body_json(resp)
    assert isinstance(body, list) and len(body) == 1, body
    explained: dict[str, Any] = body[0]
    assert isinstance(explained["Plan"]["Node Type"], str), explained
    return explained


def text_plan(resp: requests.Response, content_type: str) -> str:
    assert resp.status_code == 200, resp.text
    assert resp.headers["Content-Type"] == content_type + "; charset=utf-8"
    assert "cost=" in resp.text.splitlines()[0], resp.text
    return resp.text


def test_json_plan_of_a_read(planner: Gateway) -> None:
    explained = json_plan(
        planner.get("/books?id=in.(1,2)", headers={"Accept": "application/vnd.pgrst.plan+json"}),
        JSON_PLAN,
    )
    assert explained["Plan"]["Node Type"] == "Aggregate"
    assert isinstance(explained["Plan"]["Total Cost"], (int, float))


def test_text_is_the_default_format(planner: Gateway) -> None:
    body = text_plan(
        planner.get("/books?id=in.(1,2)", headers={"Accept": "application/vnd.pgrst.plan"}),
        TEXT_PLAN,
    )
    assert body.startswith("Aggregate")


def test_explicit_text_format(planner: Gateway) -> None:
    resp = planner.get("/books", headers={"Accept": "application/vnd.pgrst.plan+text"})
    assert text_plan(resp, TEXT_PLAN).startswith("Aggregate")


def test_analyze_adds_actual_rows_and_timing(planner: Gateway) -> None:
    resp = planner.get(
        "/books", headers={"Accept": "application/vnd.pgrst.plan+json; options=analyze"}
    )
    explained = json_plan(resp, JSON_PLAN + "; options=analyze")
    assert "Actual Rows" in explained["Plan"]
    assert "Execution Time" in explained


def test_verbose_adds_output_columns(planner: Gateway) -> None:
    resp = planner.get(
        "/books?select=id,title",
        headers={"Accept": "application/vnd.pgrst.plan+json; options=verbose"},
    )
    explained = json_plan(resp, JSON_PLAN + "; options=verbose")
    assert isinstance(explained["Plan"]["Output"], list)


def test_settings_shows_the_search_path(planner: Gateway) -> None:
    resp = planner.get(
        "/books", headers={"Accept": "application/vnd.pgrst.plan+json; options=settings"}
    )
    explained = json_plan(resp, JSON_PLAN + "; options=settings")
    assert "search_path" in explained["Settings"]


def test_buffers_adds_block_counts(planner: Gateway) -> None:
    resp = planner.get(
        "/books", headers={"Accept": "application/vnd.pgrst.plan+json; options=buffers"}
    )
    json_plan(resp, JSON_PLAN + "; options=buffers")
    assert "Shared Hit Blocks" in resp.text


def test_wal_with_analyze(planner: Gateway) -> None:
    resp = planner.get(
        "/books", headers={"Accept": "application/vnd.pgrst.plan+json; options=analyze|wal"}
    )
    explained = json_plan(resp, JSON_PLAN + "; options=analyze|wal")
    assert "WAL Records" in explained["Plan"]


def test_options_are_listed_in_a_fixed_order(planner: Gateway) -> None:
    resp = planner.get(
        "/books",
        headers={"Accept": "application/vnd.pgrst.plan+json; options=wal|verbose|analyze"},
    )
    json_plan(resp, JSON_PLAN + "; options=analyze|verbose|wal")


@pytest.mark.parametrize(
    ("inner", "named"),
    [
        ("application/json", "application/json"),
        ("application/vnd.pgrst.object", "application/vnd.pgrst.object+json"),
        ("application/vnd.pgrst.object+json", "application/vnd.pgrst.object+json"),
        ("text/csv", "text/csv"),
    ],
)
def test_for_names_the_inner_media_type(planner: Gateway, inner: str, named: str) -> None:
    resp = planner.get(
        "/books?id=eq.1",
        headers={"Accept": f'application/vnd.pgrst.plan+json; for="{inner}"'},
    )
    json_plan(resp, f'application/vnd.pgrst.plan+json; for="{named}"')


def test_plan_of_an_embed(planner: Gateway) -> None:
    resp = planner.get(
        "/authors?select=name,books(title)", headers={"Accept": "application/vnd.pgrst.plan+json"}
    )
    json_plan(resp, JSON_PLAN)


def test_plan_of_a_function_call(planner: Gateway) -> None:
    resp = planner.get(
        "/rpc/books_by_author?author=1", headers={"Accept": "application/vnd.pgrst.plan+json"}
    )
    json_plan(resp, JSON_PLAN)


@pytest.mark.usefixtures("restore_writes")
@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/todos", {"title": "planned"}),
        ("PATCH", "/todos?id=eq.1", {"title": "planned"}),
        ("DELETE", "/todos?id=eq.1", None),
        ("PUT", "/languages?name=eq.Go", {"name": "Go", "rank": 1}),
    ],
)
def test_plan_of_a_write_is_200_and_writes_nothing(
    planner: Gateway, spec_db: Database, method: str, path: str, body: object
) -> None:
    resp = planner.request(
        method, path, json=body, headers={"Accept": "application/vnd.pgrst.plan+json"}
    )
    json_plan(resp, JSON_PLAN)
    with spec_db.connect() as conn:
        assert conn.execute(
            "SELECT (SELECT count(*) FROM test.todos), (SELECT title FROM test.todos WHERE id = 1),"
            " (SELECT count(*) FROM test.languages)"
        ).fetchone() == (3, "write the spec", 3)


def test_plan_as_the_python_client_asks_for_it(planner: Gateway) -> None:
    # postgrest-py's .explain() sends an empty options list when no option is set.
    resp = planner.get("/books", headers={"Accept": "application/vnd.pgrst.plan+text; options="})
    text_plan(resp, TEXT_PLAN)


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/books"), ("GET", "/rpc/books_by_author?author=1"), ("DELETE", "/todos?id=eq.99")],
)
def test_plans_are_refused_when_disabled(api: Gateway, method: str, path: str) -> None:
    resp = api.request(method, path, headers={"Accept": "application/vnd.pgrst.plan"})
    assert resp.status_code == 406, resp.text
    body = body_json(resp)
    assert body["code"] == "PGRST107"
    assert body["message"].startswith(
        "None of these media types are available: application/vnd.pgrst.plan"
    )
    assert (body["details"], body["hint"]) == (None, None)

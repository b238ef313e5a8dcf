"""Hostile query strings: SQL smuggled into column names, operators, values, order,
select, casts, JSON paths, logic trees, schema headers and paths. Each is either a
400-class error in PostgREST's shape or a correct (often empty) result; a canary table
proves no injected statement ran, and pg_stat_statements shows none reached Postgres.
Sizes are bounded: request body (413), nesting depth and query-string length.
"""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from tests.gateway.conftest import Gateway, GatewayFactory
from tests.gateway.spec._http import assert_error, assert_rows, body_json

DROP = "drop table test.canary"

REJECTED = [
    f"/items?select=id;{DROP}",
    f"/items?select=id,(select 1);{DROP}",
    f"/items?select=id::text);{DROP};--",
    f"/items?id=eq;{DROP}.1",
    f"/items?id=eq.1)%20or%201=1;{DROP};--&id=in.(1",
    f"/items?order=id;{DROP}",
    f"/items?order=id.asc;{DROP}",
    "/items?order=id.desc,(select%201)",
    f"/items?or=(id.eq.1);{DROP};--",
    "/items?or=(id.eq.1,id.eq.2))%20or%20(1=1",
    f"/items?limit=1;{DROP}",
    f"/items?offset=0;{DROP}",
    f"/complex_items?select=settings->>foo');{DROP};--",
    f"/complex_items?select=settings->(foo);{DROP}",
    f"/tsearch?text_search_vector=fts(english');{DROP};--).foo",
    f"/items?id=in.(1);{DROP};--",
]


def assert_canary_alive(conn: psycopg.Connection[tuple[Any, ...]]) -> None:
    assert conn.execute("SELECT id, note FROM test.canary").fetchall() == [(1, "still here")]


@pytest.mark.parametrize("path", REJECTED)
def test_injection_attempts_are_rejected(
    api: Gateway, admin_conn: psycopg.Connection[tuple[Any, ...]], path: str
) -> None:
    resp = api.get(path)
    assert 400 <= resp.status_code < 500, (resp.status_code, resp.text)
    body = body_json(resp)
    assert set(body) == {"code", "message", "details", "hint"}
    assert body["code"].startswith(("PGRST1", "42", "22")), body
    assert_canary_alive(admin_conn)


def test_quoted_column_name_is_an_identifier_not_sql(
    api: Gateway, admin_conn: psycopg.Connection[tuple[Any, ...]]
) -> None:
    assert_error(
        api.get(f'/items?select="id; {DROP}"'),
        400,
        "42703",
        f"column items.id; {DROP} does not exist",
    )
    assert_canary_alive(admin_conn)


def test_values_are_data(api: Gateway, admin_conn: psycopg.Connection[tuple[Any, ...]]) -> None:
    assert_rows(api.get(f"/complex_items?name=eq.';{DROP};--"), [])
    assert_rows(api.get(f"/complex_items?name=like.*';{DROP};--*"), [])
    assert_rows(api.get(f'/complex_items?or=(name.eq."\');{DROP};--")'), [])
    assert_rows(api.get(f"/complex_items?name=in.(');{DROP};--,x)"), [])
    assert_error(
        api.get(f"/items?id=eq.1;{DROP}"),
        400,
        "22P02",
        f'invalid input syntax for type bigint: "1;{DROP}"',
    )
    assert_canary_alive(admin_conn)


def test_quoted_json_key_is_data(
    api: Gateway, admin_conn: psycopg.Connection[tuple[Any, ...]]
) -> None:
    key = f"x'); {DROP}; --"
    assert_rows(
        api.get(f'/complex_items?id=eq.1&select=settings->>"{key}"'),
        [{key: None}],
    )
    assert_canary_alive(admin_conn)


def test_rpc_argument_is_data(
    api: Gateway, admin_conn: psycopg.Connection[tuple[Any, ...]]
) -> None:
    resp = api.get("/rpc/sayhello", params={"name": f"');{DROP};--"})
    assert resp.status_code == 200
    assert resp.json() == f"Hello, ');{DROP};--"
    resp = api.post("/rpc/sayhello", json={"name": f"');{DROP};--"})
    assert resp.json() == f"Hello, ');{DROP};--"
    assert_canary_alive(admin_conn)


def test_hostile_paths_and_headers(
    api: Gateway, admin_conn: psycopg.Connection[tuple[Any, ...]]
) -> None:
    resp = api.get(f"/items;{DROP}")
    assert resp.status_code == 404
    assert resp.json()["code"] == "PGRST205"
    resp = api.get(f"/rpc/sayhello;{DROP}")
    assert resp.status_code == 404
    assert resp.json()["code"] == "PGRST202"
    resp = api.get("/items", headers={"Accept-Profile": f"test; {DROP}"})
    assert resp.status_code == 406
    assert resp.json()["code"] == "PGRST106"
    resp = api.get("/items", headers={"Prefer": f"count=exact; {DROP}"})
    assert resp.status_code in (200, 206, 400)
    assert_canary_alive(admin_conn)


def test_no_injected_statement_reached_postgres(
    api: Gateway, admin_conn: psycopg.Connection[tuple[Any, ...]]
) -> None:
    for path in REJECTED:
        api.get(path)
    api.get(f"/complex_items?name=eq.';{DROP};--")
    assert_canary_alive(admin_conn)
    has_pgss = admin_conn.execute(
        "SELECT count(*) FROM pg_extension WHERE extname = 'pg_stat_statements'"
    ).fetchone()
    if has_pgss == (1,):
        rows = admin_conn.execute(
            "SELECT query FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid"
            " WHERE d.datname = current_database() AND s.query ILIKE %s",
            (f"%{DROP}%",),
        ).fetchall()
        assert rows == [], rows
    # Whatever the monitoring, the table and its row are the proof.
    assert admin_conn.execute("SELECT to_regclass('test.canary') IS NOT NULL").fetchone() == (True,)


def test_deeply_nested_logic_tree_is_refused_not_crashed(api: Gateway) -> None:
    depth = 2000
    tree = "or=" + "(id.eq.1," * depth + "and(id.eq.1,id.eq.1)" + ")" * depth
    resp = api.get(f"/items?{tree}")
    assert resp.status_code == 400, resp.status_code
    body = body_json(resp)
    assert set(body) == {"code", "message", "details", "hint"}
    # The gateway is still fine afterwards.
    assert api.get("/items?id=eq.1").status_code == 200


def test_huge_query_string_is_refused_not_crashed(api: Gateway) -> None:
    resp = api.get("/items?id=in.(" + ",".join(["1"] * 40000) + ")")
    assert resp.status_code in (400, 413, 414, 431), resp.status_code
    assert api.get("/items?id=eq.1").status_code == 200


def test_many_parameters_do_not_crash(api: Gateway) -> None:
    resp = api.get("/items?" + "&".join(["id=gt.0"] * 3000))
    assert resp.status_code < 500, resp.status_code


@pytest.fixture(scope="module")
def small_body(start_gateway: GatewayFactory) -> Gateway:
    return start_gateway(PGRST_SERVER_MAX_BODY_BYTES="1024")


def test_oversized_body_is_413(small_body: Gateway) -> None:
    resp = small_body.post("/rpc/unnamed_json_param", json={"pad": "x" * 4096})
    assert resp.status_code == 413
    body = body_json(resp)
    assert set(body) == {"code", "message", "details", "hint"}


def test_body_under_the_limit_is_fine(small_body: Gateway) -> None:
    resp = small_body.post("/rpc/unnamed_json_param", json={"pad": "x" * 100})
    assert resp.status_code == 200
    assert resp.json() == {"pad": "x" * 100}

"""Schema cache reload on NOTIFY pgrst, 'reload schema': objects created after start are
unknown until the notification, then reachable. The tests clean up after themselves.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest
import requests
from psycopg import sql

from tests.gateway.conftest import Gateway
from tests.gateway.spec._http import assert_json

Conn = psycopg.Connection[tuple[Any, ...]]
RELOAD = "NOTIFY pgrst, 'reload schema'"


def wait_for(
    probe: Callable[[], requests.Response], status: int, code: str | None = None
) -> requests.Response:
    """Poll until the status (and error code) shows the reload happened, for up to 15 s."""
    deadline = time.monotonic() + 15
    while True:
        resp = probe()
        done = resp.status_code == status and (code is None or resp.json().get("code") == code)
        if done or time.monotonic() > deadline:
            return resp
        time.sleep(0.1)


def run(conn: Conn, template: str, name: str) -> None:
    conn.execute(sql.SQL(template).format(sql.Identifier("test", name)))


@pytest.fixture
def new_name(admin_conn: Conn) -> Iterator[str]:
    name = f"reload_{uuid.uuid4().hex[:10]}"
    yield name
    run(admin_conn, "DROP TABLE IF EXISTS {}", name)
    run(admin_conn, "DROP FUNCTION IF EXISTS {}()", name + "_fn")
    admin_conn.execute(RELOAD)


def test_new_table_is_reachable_after_notify(api: Gateway, admin_conn: Conn, new_name: str) -> None:
    run(admin_conn, "CREATE TABLE {} (id integer PRIMARY KEY)", new_name)
    run(admin_conn, "INSERT INTO {} VALUES (7)", new_name)
    run(admin_conn, "GRANT SELECT ON {} TO gw_anon", new_name)

    before = api.get(f"/{new_name}")
    assert before.status_code == 404
    assert before.json()["code"] == "PGRST205"

    admin_conn.execute(RELOAD)
    after = wait_for(lambda: api.get(f"/{new_name}"), 200)
    assert_json(after, 200, [{"id": 7}], content_range="0-0/*")


def test_new_function_is_callable_after_notify(
    api: Gateway, admin_conn: Conn, new_name: str
) -> None:
    run(
        admin_conn,
        "CREATE FUNCTION {}() RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT 'fresh' $$",
        new_name + "_fn",
    )
    assert api.get(f"/rpc/{new_name}_fn").status_code == 404

    admin_conn.execute(RELOAD)
    after = wait_for(lambda: api.get(f"/rpc/{new_name}_fn"), 200)
    assert_json(after, 200, "fresh")


def test_dropped_table_disappears_after_notify(
    api: Gateway, admin_conn: Conn, new_name: str
) -> None:
    run(admin_conn, "CREATE TABLE {} (id integer)", new_name)
    run(admin_conn, "GRANT SELECT ON {} TO gw_anon", new_name)
    admin_conn.execute(RELOAD)
    assert wait_for(lambda: api.get(f"/{new_name}"), 200).status_code == 200

    run(admin_conn, "DROP TABLE {}", new_name)
    admin_conn.execute(RELOAD)
    gone = wait_for(lambda: api.get(f"/{new_name}"), 404, "PGRST205")
    assert gone.status_code == 404
    assert gone.json()["code"] == "PGRST205"


def test_notify_with_empty_payload_also_reloads(
    api: Gateway, admin_conn: Conn, new_name: str
) -> None:
    # PostgREST's listener reloads the schema cache (and config) on an empty payload too.
    run(admin_conn, "CREATE TABLE {} (id integer)", new_name)
    run(admin_conn, "GRANT SELECT ON {} TO gw_anon", new_name)
    admin_conn.execute("NOTIFY pgrst")
    assert_json(wait_for(lambda: api.get(f"/{new_name}"), 200), 200, [], content_range="*/*")

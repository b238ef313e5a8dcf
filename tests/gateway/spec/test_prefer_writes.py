"""The Prefer header on writes: `handling=strict` rejecting unknown preferences (PGRST122),
`max-affected=n` enforced only with `handling=strict` (PGRST124, rolled back; PGRST128 on
a function that is not SETOF), `count=exact`, first occurrence wins, and
Preference-Applied in PostgREST's fixed order (resolution, missing, return, count, tx,
handling, timezone, max-affected). Ported from PostgREST's Preferences.hs,
Preferences/MaxAffectedSpec.hs, Preferences/HandlingSpec.hs and Response.hs.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from taproot.database import Database
from tests.gateway.conftest import Gateway
from tests.gateway.spec._http import assert_error, assert_json


@pytest.fixture(autouse=True)
def _restore_writes(spec_db: Database) -> Iterator[None]:
    with spec_db.connect() as conn:
        conn.execute("SELECT private.reset_writes()")
    yield
    with spec_db.connect() as conn:
        conn.execute("SELECT private.reset_writes()")


def todo_count(db: Database) -> object:
    with db.connect() as conn:
        row = conn.execute("SELECT count(*) FROM test.todos").fetchone()
    assert row is not None
    return row[0]


def priorities(db: Database) -> list[object]:
    with db.connect() as conn:
        return [r[0] for r in conn.execute("SELECT priority FROM test.todos ORDER BY id")]


def send(
    api: Gateway, method: str, path: str, prefer: str, body: object = None
) -> requests.Response:
    return api.request(method, path, json=body, headers={"Prefer": prefer})


def assert_no_content(resp: requests.Response, applied: str | None) -> None:
    assert resp.status_code == 204, resp.text
    assert resp.content == b""
    assert resp.headers.get("Preference-Applied") == applied, resp.headers


# -- handling=strict -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/todos", {"title": "x"}),
        ("PATCH", "/todos?id=eq.1", {"done": False}),
        ("DELETE", "/todos?id=eq.1", None),
        ("PUT", "/languages?name=eq.Go", {"name": "Go", "rank": 1}),
    ],
)
def test_strict_handling_rejects_unknown_preferences_on_writes(
    api: Gateway, spec_db: Database, method: str, path: str, body: object
) -> None:
    resp = send(api, method, path, "handling=strict, return=representation, nope, x=y", body)
    assert_error(
        resp,
        400,
        "PGRST122",
        "Invalid preferences given with handling=strict",
        "Invalid preferences: nope, x=y",
    )
    assert todo_count(spec_db) == 3


def test_lenient_handling_ignores_unknown_preferences(api: Gateway) -> None:
    resp = send(
        api,
        "POST",
        "/todos?select=id",
        "handling=lenient, return=representation, nope",
        {"title": "x"},
    )
    assert_json(
        resp,
        201,
        [{"id": 4}],
        headers={"Preference-Applied": "return=representation, handling=lenient"},
    )


def test_preference_applied_lists_in_postgrest_order(api: Gateway) -> None:
    resp = send(
        api,
        "POST",
        "/languages",
        "handling=strict, count=exact, return=representation, resolution=merge-duplicates",
        [{"name": "Go", "rank": 4}],
    )
    assert_json(
        resp,
        201,
        [{"name": "Go", "rank": 4}],
        content_range="*/1",
        headers={
            "Preference-Applied": (
                "resolution=merge-duplicates, return=representation, count=exact, handling=strict"
            )
        },
    )


def test_first_occurrence_of_a_preference_wins(api: Gateway) -> None:
    resp = send(
        api, "PATCH", "/todos?id=eq.1", "return=minimal, return=representation", {"priority": 5}
    )
    assert resp.status_code == 204, resp.text
    assert resp.headers["Preference-Applied"] == "return=minimal"


# -- max-affected -------------------------------------------------------------------------------


def test_max_affected_exceeded_on_delete_is_400_and_rolled_back(
    api: Gateway, spec_db: Database
) -> None:
    assert_error(
        send(api, "DELETE", "/todos?id=lte.3", "handling=strict, max-affected=2"),
        400,
        "PGRST124",
        "Query result exceeds max-affected preference constraint",
        "The query affects 3 rows",
    )
    assert todo_count(spec_db) == 3


def test_max_affected_respected_on_delete(api: Gateway, spec_db: Database) -> None:
    resp = send(api, "DELETE", "/todos?id=lte.2", "handling=strict, max-affected=2")
    assert_no_content(resp, "handling=strict, max-affected=2")
    assert todo_count(spec_db) == 1


def test_max_affected_exceeded_on_update_is_400_and_rolled_back(
    api: Gateway, spec_db: Database
) -> None:
    assert_error(
        send(
            api, "PATCH", "/todos?done=is.false", "handling=strict, max-affected=1", {"priority": 0}
        ),
        400,
        "PGRST124",
        "Query result exceeds max-affected preference constraint",
        "The query affects 2 rows",
    )
    assert priorities(spec_db) == [1, 2, 3]


def test_max_affected_zero_rejects_any_update(api: Gateway) -> None:
    assert_error(
        send(api, "PATCH", "/todos?id=eq.1", "handling=strict, max-affected=0", {"priority": 0}),
        400,
        "PGRST124",
        "Query result exceeds max-affected preference constraint",
        "The query affects 1 rows",
    )


def test_max_affected_with_representation(api: Gateway) -> None:
    resp = send(
        api,
        "PATCH",
        "/todos?id=eq.1&select=id,priority",
        "return=representation, handling=strict, max-affected=1",
        {"priority": 0},
    )
    assert_json(
        resp,
        200,
        [{"id": 1, "priority": 0}],
        headers={"Preference-Applied": "return=representation, handling=strict, max-affected=1"},
    )


def test_max_affected_is_ignored_with_lenient_handling(api: Gateway, spec_db: Database) -> None:
    resp = send(api, "DELETE", "/todos?id=lte.3", "handling=lenient, max-affected=1")
    assert_no_content(resp, "handling=lenient")
    assert todo_count(spec_db) == 0


def test_max_affected_is_ignored_without_handling(api: Gateway, spec_db: Database) -> None:
    resp = send(api, "PATCH", "/todos?done=is.false", "max-affected=1", {"priority": 0})
    assert_no_content(resp, None)
    assert priorities(spec_db) == [1, 0, 0]


def test_max_affected_exceeded_by_a_function_is_400_and_rolled_back(
    api: Gateway, spec_db: Database
) -> None:
    assert_error(
        send(api, "POST", "/rpc/drop_open_todos", "handling=strict, max-affected=1", {}),
        400,
        "PGRST124",
        "Query result exceeds max-affected preference constraint",
        "The query affects 2 rows",
    )
    assert todo_count(spec_db) == 3


def test_max_affected_respected_by_a_function(api: Gateway, spec_db: Database) -> None:
    resp = send(
        api,
        "POST",
        "/rpc/drop_open_todos?select=id&order=id",
        "handling=strict, max-affected=2",
        {},
    )
    assert_json(
        resp,
        200,
        [{"id": 2}, {"id": 3}],
        headers={"Preference-Applied": "handling=strict, max-affected=2"},
    )
    assert todo_count(spec_db) == 1


def test_max_affected_on_a_void_function_is_400(api: Gateway) -> None:
    assert_error(
        send(api, "POST", "/rpc/ret_void", "handling=strict, max-affected=1", {}),
        400,
        "PGRST128",
        "Function must return SETOF or TABLE when max-affected preference is used with"
        " handling=strict",
    )


# -- count on writes ------------------------------------------------------------------------------


def test_exact_count_on_each_write(api: Gateway) -> None:
    post = send(api, "POST", "/todos", "count=exact", [{"title": "a"}, {"title": "b"}])
    assert (post.status_code, post.headers["Content-Range"]) == (201, "*/2")
    patch = send(api, "PATCH", "/todos?id=gte.4", "count=exact", {"done": True})
    assert (patch.status_code, patch.headers["Content-Range"]) == (204, "0-1/2")
    delete = send(api, "DELETE", "/todos?id=gte.4", "count=exact")
    assert (delete.status_code, delete.headers["Content-Range"]) == (204, "*/2")
    for resp in (post, patch, delete):
        assert resp.headers["Preference-Applied"] == "count=exact"


# -- Proxy-Status on write errors ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "prefer", "body", "status", "code"),
    [
        ("POST", "/todos", "", "[{}, 1]", 400, "PGRST102"),
        ("PUT", "/languages?rank=eq.1", "", '{"name": "Go", "rank": 1}', 405, "PGRST105"),
        ("PUT", "/languages?name=eq.Go&limit=1", "", '{"name": "Go", "rank": 1}', 400, "PGRST114"),
        ("PATCH", "/todos", "handling=strict, max-affected=1", '{"done": true}', 400, "PGRST124"),
        ("POST", "/languages", "", '{"name": "C", "rank": 1}', 409, "23505"),
        ("GET", "/messages?select=people(name)", "", None, 300, "PGRST201"),
        ("GET", "/books?select=people(name)", "", None, 400, "PGRST200"),
    ],
)
def test_write_and_embed_errors_carry_proxy_status(  # noqa: PLR0917 -- one table row
    api: Gateway, method: str, path: str, prefer: str, body: str | None, status: int, code: str
) -> None:
    headers = {"Content-Type": "application/json"}
    if prefer:
        headers["Prefer"] = prefer
    resp = api.request(method, path, data=body, headers=headers)
    assert resp.status_code == status, resp.text
    assert resp.json()["code"] == code
    assert resp.headers["Proxy-Status"] == f"PostgREST; error={code}"

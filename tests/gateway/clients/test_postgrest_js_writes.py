"""postgrest-js against the gateway for issue 5: embedding, writes, upserts, explain().

The cases are in tests/gateway/js/cases/writes.mjs, schema `jsclient`
(tests/gateway/js/fixtures.sql). Each test runs one case in its own node process and
compares {status, count, data, error} with PostgREST v12/v13's answer, then what the
database holds where the case wrote; the rows are restored before and after each test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from taproot.database import Database
from tests.gateway.conftest import Gateway, GatewayFactory
from tests.gateway.js import harness

Line = dict[str, Any]
Check = Callable[[Line], None]

AUTHORS = "SELECT id, name, mood::text FROM jsclient.authors ORDER BY id"
GENRES = "SELECT id, name FROM jsclient.genres ORDER BY id"
BOOKS = "SELECT id, title, published::text FROM jsclient.books ORDER BY id"
URSULA, ITALO, JORGE = (1, "Ursula", "happy"), (2, "Italo", "so-so"), (3, "Jorge", "sad")
FIXTURE_GENRES = [(1, "fantasy"), (2, "scifi"), (3, "essay")]


def ok(data: Any, *, status: int = 200, count: int | None = None) -> Line:
    return {"status": status, "count": count, "data": data, "error": None}


def err(
    status: int, code: str, message: str, *, details: str | None = None, hint: str | None = None
) -> Line:
    error = {"code": code, "message": message, "details": details, "hint": hint}
    return {"status": status, "count": None, "data": None, "error": error}


@dataclass(frozen=True)
class Case:
    """What postgrest-js must resolve to, and the rows `sql` must then return."""

    name: str
    expected: Line | Check
    sql: str | None = None
    rows: list[tuple[Any, ...]] | None = None


def _explain_json(line: Line) -> None:
    assert (line["status"], line["error"], line["count"]) == (200, None, None)
    [plan] = line["data"]
    assert "Node Type" in plan["Plan"]


def _explain_text(line: Line) -> None:
    assert (line["status"], line["error"], line["count"]) == (200, None, None)
    assert isinstance(line["data"], str)
    assert "cost=" in line["data"].splitlines()[0]


CASES = [
    # embedding
    Case(
        "embed_many_to_one",
        ok(
            [
                {"id": 1, "title": "A Wizard of Earthsea", "authors": {"name": "Ursula"}},
                {"id": 2, "title": "The Dispossessed", "authors": {"name": "Ursula"}},
                {"id": 3, "title": "Invisible Cities", "authors": {"name": "Italo"}},
            ]
        ),
    ),
    Case(
        "embed_one_to_many",
        ok(
            [
                {"id": 1, "books": [{"id": 1}, {"id": 2}]},
                {"id": 2, "books": [{"id": 3}]},
                {"id": 3, "books": []},
            ]
        ),
    ),
    Case(
        "embed_one_to_one",
        ok(
            [
                {"name": "Ursula", "author_profiles": {"bio": "Earthsea"}},
                {"name": "Italo", "author_profiles": {"bio": "Invisible cities"}},
                {"name": "Jorge", "author_profiles": None},
            ]
        ),
    ),
    Case(
        "embed_many_to_many",
        ok(
            [
                {"title": "A Wizard of Earthsea", "genres": [{"name": "fantasy"}]},
                {"title": "The Dispossessed", "genres": [{"name": "scifi"}]},
                {"title": "Invisible Cities", "genres": [{"name": "fantasy"}]},
            ]
        ),
    ),
    Case(
        "embed_inner_join_filter",
        ok([{"name": "Ursula", "books": [{"title": "The Dispossessed"}]}]),
    ),
    Case(
        "embed_alias_and_fk_hint",
        ok([{"title": "Invisible Cities", "writer": {"name": "Italo"}}]),
    ),
    Case("embed_spread", ok([{"title": "A Wizard of Earthsea", "author": "Ursula"}])),
    Case("embed_referenced_order_limit", ok([{"id": 1, "books": [{"id": 2}]}])),
    Case("embed_is_null", ok([{"name": "Jorge", "books": []}])),
    Case(
        "embed_not_null",
        ok(
            [
                {"name": "Ursula", "books": [{"id": 1}, {"id": 2}]},
                {"name": "Italo", "books": [{"id": 3}]},
            ]
        ),
    ),
    Case(
        "embed_referenced_or",
        ok(
            [
                {"name": "Ursula", "books": [{"title": "The Dispossessed"}]},
                {"name": "Italo", "books": [{"title": "Invisible Cities"}]},
                {"name": "Jorge", "books": []},
            ]
        ),
    ),
    Case(
        "embed_order_by_to_one",
        ok(
            [
                {"title": "Invisible Cities", "authors": {"name": "Italo"}},
                {"title": "A Wizard of Earthsea", "authors": {"name": "Ursula"}},
                {"title": "The Dispossessed", "authors": {"name": "Ursula"}},
            ]
        ),
    ),
    Case(
        "embed_from_view",
        ok([{"title": "Invisible Cities", "authors": {"name": "Italo"}}]),
    ),
    Case(
        "embed_rpc_result",
        ok(
            [
                {"title": "A Wizard of Earthsea", "authors": {"name": "Ursula"}},
                {"title": "The Dispossessed", "authors": {"name": "Ursula"}},
            ]
        ),
    ),
    # inserts
    Case(
        "insert_select",
        ok([{"id": 4, "name": "Toni", "mood": "happy"}], status=201),
        AUTHORS,
        [URSULA, ITALO, JORGE, (4, "Toni", "happy")],
    ),
    Case(
        "insert_minimal",
        ok(None, status=201),
        AUTHORS,
        [URSULA, ITALO, JORGE, (5, "Clarice", "sad")],
    ),
    Case(
        "insert_bulk_defaults",
        ok(
            [
                {"id": 4, "title": "Ficciones", "tags": []},
                {"id": 5, "title": "The Aleph", "tags": ["stories"]},
            ],
            status=201,
        ),
        "SELECT count(*) FROM jsclient.books WHERE author_id = 3",
        [(2,)],
    ),
    Case("insert_single", ok({"id": 4, "title": "Six Memos"}, status=201)),
    Case(
        "insert_count",
        ok(None, status=201, count=1),
        GENRES,
        [*FIXTURE_GENRES, (4, "poetry")],
    ),
    Case(
        "insert_select_embedded",
        ok([{"title": "Labyrinths", "authors": {"name": "Jorge"}}], status=201),
    ),
    Case(
        "insert_generated_and_identity",
        ok(
            [{"id": 2, "name": "beta", "name_length": 4, "happened_on": "2026-01-01"}],
            status=201,
        ),
    ),
    Case(
        "insert_identity_always_rejected",
        err(
            400,
            "428C9",
            'cannot insert a non-DEFAULT value into column "id"',
            details='Column "id" is an identity column defined as GENERATED ALWAYS.',
            hint="Use OVERRIDING SYSTEM VALUE to override.",
        ),
        "SELECT count(*) FROM jsclient.events",
        [(1,)],
    ),
    Case(
        "insert_anon_forbidden",
        err(401, "42501", "permission denied for table genres"),
        GENRES,
        FIXTURE_GENRES,
    ),
    # upserts
    # 200 when every row merged into an existing one, 201 once one is inserted
    # (PostgREST v12, PR #2926 "HTTP status responses for upserts").
    Case(
        "upsert_merge",
        ok([{"id": 1, "name": "U. K. Le Guin", "mood": "happy"}]),
        AUTHORS,
        [(1, "U. K. Le Guin", "happy"), ITALO, JORGE],
    ),
    Case(
        "upsert_merge_and_insert",
        ok([{"id": 2, "name": "Calvino"}, {"id": 4, "name": "Toni"}], status=201),
        AUTHORS,
        [URSULA, (2, "Calvino", "so-so"), JORGE, (4, "Toni", "happy")],
    ),
    Case(
        "upsert_on_conflict_merge",
        ok([{"id": 10, "name": "essay"}]),
        GENRES,
        [(1, "fantasy"), (2, "scifi"), (10, "essay")],
    ),
    Case(
        "upsert_on_conflict_ignore",
        ok([{"id": 4, "name": "poetry"}], status=201),
        GENRES,
        [*FIXTURE_GENRES, (4, "poetry")],
    ),
    # updates
    Case(
        "update_select",
        ok([{"id": 2, "name": "Italo", "mood": "sad"}]),
        AUTHORS,
        [URSULA, (2, "Italo", "sad"), JORGE],
    ),
    Case(
        "update_count",
        ok(None, status=204, count=1),
        BOOKS,
        [
            (1, "A Wizard of Earthsea", "1968-11-01"),
            (2, "The Dispossessed", "1974-05-01"),
            (3, "Invisible Cities", "1972-01-01"),
        ],
    ),
    Case(
        "update_single_embedded",
        ok({"title": "Earthsea", "authors": {"name": "Ursula"}}),
        BOOKS,
        [
            (1, "Earthsea", "1968-11-01"),
            (2, "The Dispossessed", "1974-05-01"),
            (3, "Invisible Cities", None),
        ],
    ),
    Case("update_no_match", ok([]), AUTHORS, [URSULA, ITALO, JORGE]),
    # deletes
    Case(
        "delete_select",
        ok([{"id": 3, "name": "Jorge"}]),
        AUTHORS,
        [URSULA, ITALO],
    ),
    Case(
        "delete_count",
        ok(None, status=204, count=2),
        "SELECT book_id, genre_id FROM jsclient.book_genres ORDER BY book_id",
        [(2, 2)],
    ),
    Case(
        "delete_foreign_key_violation",
        err(
            409,
            "23503",
            'update or delete on table "authors" violates foreign key constraint '
            '"books_author_id_fkey" on table "books"',
            details='Key (id)=(1) is still referenced from table "books".',
        ),
        AUTHORS,
        [URSULA, ITALO, JORGE],
    ),
    Case(
        "delete_throw_on_error",
        {
            "thrown": {
                "name": "PostgrestError",
                "code": "23503",
                "message": 'update or delete on table "authors" violates foreign key constraint '
                '"books_author_id_fkey" on table "books"',
                "details": 'Key (id)=(1) is still referenced from table "books".',
                "hint": None,
            }
        },
        AUTHORS,
        [URSULA, ITALO, JORGE],
    ),
    # explain(): plans vary with the planner, so only their shape is checked
    Case("explain_json", _explain_json),
    Case("explain_text", _explain_text),
    # RPC (issue 4) that writes
    Case("rpc_writes", ok(6), GENRES, [*FIXTURE_GENRES, (6, "satire")]),
]


@pytest.fixture(scope="module")
def js_gateway(spec_db: Database, start_gateway: GatewayFactory) -> Gateway:
    harness.install()
    return harness.js_gateway(spec_db, start_gateway)


@pytest.fixture
def clean(spec_db: Database, js_gateway: Gateway) -> Iterator[Database]:
    """jsclient's fixture rows before the test and again after it, whatever it wrote."""
    harness.reset(spec_db)
    yield spec_db
    harness.reset(spec_db)


def _run(case: Case, gateway: Gateway, db: Database) -> None:
    line = harness.run_cases(gateway, "writes", [case.name])[case.name]
    if callable(case.expected):
        case.expected(line)
    else:
        assert line == case.expected
    if case.sql is not None:
        with db.connect() as conn:
            assert conn.execute(case.sql).fetchall() == case.rows


@pytest.mark.parametrize("case", [pytest.param(c, id=c.name) for c in CASES])
def test_case(case: Case, js_gateway: Gateway, clean: Database) -> None:
    _run(case, js_gateway, clean)


def test_every_case_in_writes_mjs_is_tested(js_gateway: Gateway) -> None:
    assert harness.list_cases("writes") == [c.name for c in CASES]

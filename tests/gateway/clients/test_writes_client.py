"""The `postgrest` package (sync and async) against the gateway for issue 5: embedding,
insert/upsert/update/delete with their representation and counts, errors, explain().

Each case builds a request from a client (the sync and async builders share methods) and
states the data and count PostgREST v12/v13 returns; write cases also state what the
database must hold afterwards. Fixtures: tests/gateway/fixtures/embed.sql (read-only)
and writes.sql (restored by private.reset_writes() around every test).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from postgrest import APIError, AsyncPostgrestClient, SyncPostgrestClient

from taproot.database import Database
from tests.gateway.conftest import GatewayFactory

Build = Callable[[Any], Any]

URSULA = "Ursula K. Le Guin"
ITALO = "Italo Calvino"
BORGES = "Jorge Luis Borges"
WIZARD = "A Wizard of Earthsea"
DISPOSSESSED = "The Dispossessed"
CITIES = "Invisible Cities"


@dataclass(frozen=True)
class Case:
    """A request, the data and count the client must return, and optionally the rows
    `sql` must return afterwards."""

    name: str
    build: Build
    data: Any
    count: int | None = None
    sql: str | None = None
    rows: list[tuple[Any, ...]] | None = None


@dataclass(frozen=True)
class ErrorCase:
    name: str
    build: Build
    code: str
    message: str


def todo(id_: int, title: str, **kw: Any) -> dict[str, Any]:
    row = {"id": id_, "title": title, "done": False, "priority": 3, "author_id": None}
    row.update(kw)
    row["title_length"] = len(title)
    return row


TODOS = "SELECT id, title, done, priority FROM test.todos ORDER BY id"
FIXTURE_TODOS = [
    (1, "write the spec", True, 1),
    (2, "read the source", False, 2),
    (3, "ship it", False, 3),
]
LANGUAGES = "SELECT name, rank FROM test.languages ORDER BY name"

CASES = [
    # embedding
    Case(
        "embed_many_to_one",
        lambda c: c.from_("books").select("title,authors(name)").lte("id", 3).order("id"),
        [
            {"title": WIZARD, "authors": {"name": URSULA}},
            {"title": DISPOSSESSED, "authors": {"name": URSULA}},
            {"title": CITIES, "authors": {"name": ITALO}},
        ],
    ),
    Case(
        "embed_one_to_many_order_limit",
        lambda c: (
            c.from_("authors")
            .select("name,books(title)")
            .eq("id", 1)
            .order("year", desc=True, foreign_table="books")
            .limit(1, foreign_table="books")
        ),
        [{"name": URSULA, "books": [{"title": DISPOSSESSED}]}],
    ),
    Case(
        "embed_one_to_one",
        lambda c: c.from_("authors").select("name,author_profiles(bio)").eq("id", 2),
        [{"name": ITALO, "author_profiles": {"bio": "Member of the Oulipo"}}],
    ),
    Case(
        "embed_many_to_many",
        lambda c: (
            c.from_("books")
            .select("id,genres(name)")
            .eq("id", 5)
            .order("id", foreign_table="genres")
        ),
        [{"id": 5, "genres": [{"name": "fantasy"}, {"name": "literary"}]}],
    ),
    Case(
        "embed_inner_with_filter",
        lambda c: (
            c.from_("authors").select("name,books!inner(title)").lt("books.year", 1970).order("id")
        ),
        [
            {"name": URSULA, "books": [{"title": WIZARD}]},
            {"name": BORGES, "books": [{"title": "Ficciones"}]},
        ],
    ),
    Case(
        "embed_or_on_referenced_table",
        lambda c: (
            c.from_("authors")
            .select("name,books(title)")
            .in_("id", [1, 2])
            .or_("year.lt.1970,pages.gt.300", reference_table="books")
            .order("id")
            .order("id", foreign_table="books")
        ),
        [
            {"name": URSULA, "books": [{"title": WIZARD}, {"title": DISPOSSESSED}]},
            {"name": ITALO, "books": []},
        ],
    ),
    Case(
        "embed_fk_hint_and_alias",
        lambda c: (
            c.from_("messages").select("body,sender:people!messages_sender_fkey(name)").eq("id", 2)
        ),
        [{"body": "hi Ann", "sender": {"name": "Bob"}}],
    ),
    Case(
        "embed_spread",
        lambda c: c.from_("books").select("title,...authors(country)").eq("id", 3),
        [{"title": CITIES, "country": "IT"}],
    ),
    Case(
        "embed_anti_join",
        lambda c: c.from_("authors").select("name,books()").is_("books", "null"),
        [{"name": "Nobody Yet"}],
    ),
    Case(
        "embed_order_by_to_one",
        lambda c: (
            c.from_("books")
            .select("id,authors(name)")
            .gte("id", 3)
            .lte("id", 5)
            .order("authors(name)")
            .order("id")
        ),
        [
            {"id": 3, "authors": {"name": ITALO}},
            {"id": 4, "authors": {"name": ITALO}},
            {"id": 5, "authors": {"name": BORGES}},
        ],
    ),
    Case(
        "embed_computed_relationship",
        lambda c: c.from_("books").select("id,best_review(stars)").eq("id", 3),
        [{"id": 3, "best_review": {"stars": 3}}],
    ),
    Case(
        "embed_with_exact_count",
        lambda c: c.from_("authors").select("id,books(id)", count="exact").lte("id", 1),
        [{"id": 1, "books": [{"id": 1}, {"id": 2}]}],
        count=1,
    ),
    # insert
    Case(
        "insert_one_returns_the_row",
        lambda c: c.from_("todos").insert({"title": "new", "author_id": 2}),
        [todo(4, "new", author_id=2)],
        sql=TODOS,
        rows=[*FIXTURE_TODOS, (4, "new", False, 3)],
    ),
    Case(
        "insert_many_with_select_and_embed",
        lambda c: (
            c.from_("todos")
            .insert([{"title": "a", "author_id": 1}, {"title": "b", "author_id": 3}])
            .select("title,authors(name)")
        ),
        [{"title": "a", "authors": {"name": URSULA}}, {"title": "b", "authors": {"name": BORGES}}],
    ),
    Case(
        "insert_with_exact_count",
        lambda c: c.from_("todos").insert([{"title": "a"}, {"title": "b"}], count="exact"),
        [todo(4, "a"), todo(5, "b")],
        count=2,
    ),
    Case(
        "insert_minimal",
        lambda c: c.from_("todos").insert({"title": "quiet"}, returning="minimal"),
        [],
        sql="SELECT title FROM test.todos WHERE id = 4",
        rows=[("quiet",)],
    ),
    Case(
        "insert_missing_default",
        lambda c: c.from_("todos").insert(
            [{"title": "a"}, {"title": "b", "priority": 1}], default_to_null=False
        ),
        [todo(4, "a"), todo(5, "b", priority=1)],
    ),
    # upsert
    Case(
        "upsert_merge",
        lambda c: c.from_("languages").upsert(
            [{"name": "Go", "rank": 4}, {"name": "C", "rank": 5}]
        ),
        [{"name": "Go", "rank": 4}, {"name": "C", "rank": 5}],
        sql=LANGUAGES,
        rows=[("C", 5), ("Go", 4), ("Java", 3), ("Python", 1)],
    ),
    Case(
        "upsert_ignore_on_conflict",
        lambda c: c.from_("coupons").upsert(
            [{"id": 5, "code": "FALL", "label": "dup"}, {"id": 6, "code": "SUMMER", "label": None}],
            on_conflict="code",
            ignore_duplicates=True,
        ),
        [{"id": 6, "code": "SUMMER", "label": None}],
        sql="SELECT id, code FROM test.coupons ORDER BY id",
        rows=[(1, "SPRING"), (2, "FALL"), (6, "SUMMER")],
    ),
    Case(
        "upsert_with_select_and_embed",
        lambda c: (
            c.from_("todos")
            .upsert({"id": 3, "title": "shipped", "author_id": 2})
            .select("id,title,authors(name)")
        ),
        [{"id": 3, "title": "shipped", "authors": {"name": ITALO}}],
    ),
    # update
    Case(
        "update_returns_the_rows",
        lambda c: c.from_("todos").update({"done": True}).eq("id", 2),
        [todo(2, "read the source", done=True, priority=2, author_id=2)],
        sql=TODOS,
        rows=[FIXTURE_TODOS[0], (2, "read the source", True, 2), FIXTURE_TODOS[2]],
    ),
    Case(
        "update_with_select_order_and_count",
        lambda c: (
            c.from_("todos")
            .update({"priority": 0}, count="exact")
            .eq("done", False)
            .select("id,priority")
            .order("id")
        ),
        [{"id": 2, "priority": 0}, {"id": 3, "priority": 0}],
        count=2,
    ),
    Case(
        "update_with_embed",
        lambda c: (
            c.from_("todos").update({"author_id": 3}).eq("id", 1).select("id,authors(country)")
        ),
        [{"id": 1, "authors": {"country": "AR"}}],
    ),
    Case(
        "update_nothing",
        lambda c: c.from_("todos").update({"done": True}).eq("id", 99),
        [],
        sql=TODOS,
        rows=FIXTURE_TODOS,
    ),
    # delete
    Case(
        "delete_returns_the_row",
        lambda c: c.from_("todos").delete().eq("id", 3),
        [todo(3, "ship it")],
        sql=TODOS,
        rows=FIXTURE_TODOS[:2],
    ),
    Case(
        "delete_with_count_and_select",
        lambda c: c.from_("todos").delete(count="exact").eq("done", False).select("id").order("id"),
        [{"id": 2}, {"id": 3}],
        count=2,
        sql=TODOS,
        rows=FIXTURE_TODOS[:1],
    ),
]

ERROR_CASES = [
    ErrorCase(
        "ambiguous_embed",
        lambda c: c.from_("messages").select("body,people(name)"),
        "PGRST201",
        "Could not embed because more than one relationship was found for 'messages' and 'people'",
    ),
    ErrorCase(
        "no_relationship",
        lambda c: c.from_("books").select("title,people(name)"),
        "PGRST200",
        "Could not find a relationship between 'books' and 'people' in the schema cache",
    ),
    ErrorCase(
        "insert_duplicate_key",
        lambda c: c.from_("languages").insert({"name": "C", "rank": 1}),
        "23505",
        'duplicate key value violates unique constraint "languages_pkey"',
    ),
    ErrorCase(
        "insert_unknown_column",
        lambda c: c.from_("todos").insert({"title": "a", "nope": 1}),
        "PGRST204",
        "Could not find the 'nope' column of 'todos' in the schema cache",
    ),
]


@pytest.fixture(autouse=True)
def _restore_writes(spec_db: Database) -> Iterator[None]:
    with spec_db.connect() as conn:
        conn.execute("SELECT private.reset_writes()")
    yield
    with spec_db.connect() as conn:
        conn.execute("SELECT private.reset_writes()")


def check_rows(db: Database, case: Case) -> None:
    if case.sql is not None:
        with db.connect() as conn:
            assert conn.execute(case.sql).fetchall() == case.rows


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_sync_case(sync_client: SyncPostgrestClient, spec_db: Database, case: Case) -> None:
    response = case.build(sync_client).execute()
    assert response.data == case.data
    assert response.count == case.count
    check_rows(spec_db, case)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
async def test_async_case(
    async_client: AsyncPostgrestClient, spec_db: Database, case: Case
) -> None:
    response = await case.build(async_client).execute()
    assert response.data == case.data
    assert response.count == case.count
    check_rows(spec_db, case)


@pytest.mark.parametrize("case", ERROR_CASES, ids=[c.name for c in ERROR_CASES])
def test_sync_error_case(sync_client: SyncPostgrestClient, case: ErrorCase) -> None:
    with pytest.raises(APIError) as caught:
        case.build(sync_client).execute()
    assert (caught.value.code, caught.value.message) == (case.code, case.message)


@pytest.mark.parametrize("case", ERROR_CASES, ids=[c.name for c in ERROR_CASES])
async def test_async_error_case(async_client: AsyncPostgrestClient, case: ErrorCase) -> None:
    with pytest.raises(APIError) as caught:
        await case.build(async_client).execute()
    assert (caught.value.code, caught.value.message) == (case.code, case.message)


# -- explain() needs db-plan-enabled ----------------------------------------------------------


@pytest.fixture
def sync_planner(start_gateway: GatewayFactory) -> Iterator[SyncPostgrestClient]:
    url = start_gateway(PGRST_DB_PLAN_ENABLED="true").url
    with SyncPostgrestClient(url, schema="test", retry_enabled=False) as client:
        yield client


@pytest.fixture
async def async_planner(start_gateway: GatewayFactory) -> AsyncIterator[AsyncPostgrestClient]:
    url = start_gateway(PGRST_DB_PLAN_ENABLED="true").url
    async with AsyncPostgrestClient(url, schema="test", retry_enabled=False) as client:
        yield client


def only_plan(data: Any) -> dict[str, Any]:
    """EXPLAIN (FORMAT JSON) as data: a one-element list holding the plan object."""
    assert isinstance(data, list) and len(data) == 1, data
    explained: dict[str, Any] = data[0]
    return explained


def test_sync_explain_text(sync_planner: SyncPostgrestClient) -> None:
    plan = sync_planner.from_("books").select("title,authors(name)").eq("id", 1).explain().execute()
    assert isinstance(plan, str)
    assert plan.startswith("Aggregate")


def test_sync_explain_json_with_options(sync_planner: SyncPostgrestClient) -> None:
    response = (
        sync_planner.from_("books")
        .select("id")
        .explain(analyze=True, verbose=True, format="json")
        .execute()
    )
    explained = only_plan(response.data)
    assert explained["Plan"]["Node Type"] == "Aggregate"
    assert "Execution Time" in explained
    assert "Output" in explained["Plan"]


async def test_async_explain_text(async_planner: AsyncPostgrestClient) -> None:
    plan = await async_planner.from_("books").select("id").explain(settings=True).execute()
    assert isinstance(plan, str)
    assert plan.startswith("Aggregate")


async def test_async_explain_json(async_planner: AsyncPostgrestClient) -> None:
    response = await async_planner.from_("authors").select("*").explain(format="json").execute()
    explained = only_plan(response.data)
    assert explained["Plan"]["Node Type"] == "Aggregate"

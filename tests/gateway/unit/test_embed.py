"""Embedding: relationship resolution and the lateral subqueries it plans."""

from __future__ import annotations

import pytest

from gateway import query
from gateway.errors import ApiError
from gateway.plan import ActionPlan, plan
from gateway.relationships import candidates, find
from gateway.request import build
from gateway.schema_cache import Column, ForeignKey, Function, SchemaCache, Table


def col(name: str, typ: str = "integer", position: int = 1) -> Column:
    return Column(name=name, type=typ, base_type=typ, category="", position=position)


def table(name: str, *cols: str, pk: tuple[str, ...] = ("id",)) -> Table:
    columns = {c: col(c, position=i) for i, c in enumerate(cols, 1)}
    return Table("api", name, "r", columns, pk=pk)


AUTHORS = table("authors", "id", "name")
BOOKS = table("books", "id", "title", "author_id", "editor_id")
TAGS = table("tags", "id", "name")
BOOK_TAGS = table("book_tags", "book_id", "tag_id", pk=("book_id", "tag_id"))
PROFILES = table("profiles", "author_id", "bio", pk=("author_id",))
FKS = (
    ForeignKey("books_author_fk", ("api", "books"), ("author_id",), ("api", "authors"), ("id",)),
    ForeignKey("books_editor_fk", ("api", "books"), ("editor_id",), ("api", "authors"), ("id",)),
    ForeignKey("bt_book", ("api", "book_tags"), ("book_id",), ("api", "books"), ("id",)),
    ForeignKey("bt_tag", ("api", "book_tags"), ("tag_id",), ("api", "tags"), ("id",)),
    ForeignKey("profile_author", ("api", "profiles"), ("author_id",), ("api", "authors"), ("id",)),
)
FAVORITE = Function(
    oid=9,
    schema="api",
    name="favorite_book",
    params=(),
    return_type="api.books",
    return_base="books",
    returns_set=True,
    volatility="s",
    ret_columns=BOOKS.columns,
    ret_relation=("api", "books"),
    rows=1,
    arg_relation=("api", "authors"),
)


@pytest.fixture
def lib() -> SchemaCache:
    tables = {("api", t.name): t for t in (AUTHORS, BOOKS, TAGS, BOOK_TAGS, PROFILES)}
    return SchemaCache(
        schemas=("api",),
        tables=tables,
        functions={("api", "favorite_book"): (FAVORITE,)},
        foreign_keys=FKS,
    )


def read(cache: SchemaCache, path: str, qs: str) -> ActionPlan:
    return plan(build("GET", path, qs.encode(), {}, [], b"", cache.schemas), cache)


def test_cardinalities(lib: SchemaCache) -> None:
    kinds = {(r.target.name, r.constraint): r.cardinality for r in candidates(lib, AUTHORS)}
    assert kinds[("books", "books_author_fk")] == "one-to-many"
    assert kinds[("profiles", "profile_author")] == "one-to-one"
    assert kinds[("books", "favorite_book")] == "many-to-one"  # ROWS 1 computed relationship
    m2m = find(lib, BOOKS, "tags", None)
    assert m2m.cardinality == "many-to-many" and m2m.junction is BOOK_TAGS


def test_ambiguity_and_hints(lib: SchemaCache) -> None:
    with pytest.raises(ApiError) as exc:
        find(lib, BOOKS, "authors", None)
    err = exc.value
    assert (err.status, err.code) == (300, "PGRST201")
    assert "'authors!books_author_fk'" in err.hint
    assert find(lib, BOOKS, "authors", "books_editor_fk").constraint == "books_editor_fk"
    assert find(lib, BOOKS, "author_id", None).constraint == "books_author_fk"  # by column
    with pytest.raises(ApiError) as missing:
        find(lib, BOOKS, "authorz", None)
    assert missing.value.code == "PGRST200"
    assert missing.value.hint == "Perhaps you meant 'authors' instead of 'authorz'."


def test_lateral_subqueries_with_parameterized_keys(lib: SchemaCache) -> None:
    action = read(
        lib,
        "/authors",
        "select=name,works:books!books_author_fk(title,tags(name))"
        "&works.order=id.desc&works.limit=2&works.title=like.*a*",
    )
    st = query.build(action)
    assert "LEFT JOIN LATERAL" in st.sql and "json_agg(pgrst_sub.pgrst_e)::jsonb" in st.sql
    assert '"pgrst_j' in st.sql  # the many-to-many junction
    assert "works" in st.params and "title" in st.params and "%a%" in st.params
    assert "works" not in st.sql  # output names are parameters, never SQL text


def test_inner_null_filters_and_related_order(lib: SchemaCache) -> None:
    st = query.build(
        read(
            lib,
            "/books",
            "select=id,author:authors!books_author_fk!inner(name)&order=author(name).desc",
        )
    )
    assert "IS NOT NULL" in st.sql and 'ORDER BY "pgrst_e1"."name" DESC' in st.sql
    anti = query.build(read(lib, "/authors", "select=id,books!books_author_fk()&books=is.null"))
    assert '"pgrst_e1".pgrst_e IS NULL' in anti.sql
    with pytest.raises(ApiError) as exc:
        read(lib, "/authors", "select=id,books!books_author_fk(id)&books=eq.1")
    assert exc.value.code == "PGRST120"
    with pytest.raises(ApiError) as exc:
        read(lib, "/authors", "select=id,books!books_author_fk(id)&order=books(id)")
    assert exc.value.code == "PGRST118"


def test_spread_and_computed(lib: SchemaCache) -> None:
    spread = query.build(read(lib, "/books", "select=title,...authors!books_author_fk(name)"))
    assert "pgrst_s0" in spread.sql and "pgrst_found" in spread.sql
    computed = query.build(read(lib, "/authors", "select=name,favorite_book(title)"))
    assert '"api"."favorite_book"("authors") AS "books_1"' in computed.sql


def test_embed_null_filters_inside_logic_trees(lib: SchemaCache) -> None:
    st = query.build(
        read(
            lib,
            "/authors",
            "select=id,books!books_author_fk(),profiles()&or=(books.not.is.null,profiles.is.null)",
        )
    )
    assert '("pgrst_e1".pgrst_e IS NOT NULL OR "pgrst_e2".pgrst_e IS NULL)' in st.sql


def test_to_many_spreads_need_aggregates(lib: SchemaCache) -> None:
    with pytest.raises(ApiError) as exc:
        read(lib, "/authors", "select=name,...books!books_author_fk(title)")
    assert exc.value.code == "PGRST123"
    req = build(
        "GET", "/authors", b"select=name,...books!books_author_fk(title)", {}, [], b"", lib.schemas
    )
    st = query.build(plan(req, lib, aggregates_enabled=True))
    assert "coalesce(json_agg(pgrst_sub.pgrst_v0)::jsonb, '[]'::jsonb) AS pgrst_s0" in st.sql


def test_count_without_parentheses(lib: SchemaCache) -> None:
    req = build("GET", "/books", b"select=count", {}, [], b"", lib.schemas)
    assert 'COUNT(*) AS "count"' in query.build(plan(req, lib, aggregates_enabled=True)).sql
    with pytest.raises(ApiError) as exc:
        read(lib, "/books", "select=count")
    assert exc.value.code == "42703"


def test_computed_columns_take_the_row() -> None:
    shout = col("shout", "text")
    authors = Table(
        "api",
        "authors",
        "r",
        AUTHORS.columns,
        pk=("id",),
        computed={
            "shout": Column(
                name="shout", type="text", base_type="text", category="", computed='"api"."shout"'
            )
        },
    )
    cache = SchemaCache(schemas=("api",), tables={("api", "authors"): authors}, functions={})
    st = query.build(read(cache, "/authors", "select=name,shout&shout=like.*A*&order=shout"))
    assert '"api"."shout"("authors")' in st.sql
    assert 'ORDER BY "api"."shout"("authors")' in st.sql
    star = query.build(read(cache, "/authors", "select=*"))
    assert "shout" not in star.sql  # `*` is the table's columns only, as in PostgREST
    assert shout.computed is None

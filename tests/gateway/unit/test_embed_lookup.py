"""Relationship lookup as PostgREST's findRel: constraint and column targets in both
directions, never through views; self-referencing keys; hints; computed relationships
that replace foreign keys; the lateral aliases errors name. Pure: a hand-built cache."""

from __future__ import annotations

import pytest

from gateway import query
from gateway.errors import ApiError
from gateway.plan import plan
from gateway.relationships import find
from gateway.request import build
from gateway.schema_cache import Column, ForeignKey, Function, SchemaCache, Table


def table(name: str, *cols: str, kind: str = "r") -> Table:
    columns = {
        c: Column(name=c, type="integer", base_type="int4", category="N", position=i)
        for i, c in enumerate(cols, 1)
    }
    return Table("api", name, kind, columns, pk=("id",))


USERS = table("users", "id", "name")
USERS_VIEW = table("users_view", "id", "name", kind="v")
POSTS = table("posts", "id", "user_id")
STAFF = table("staff", "id", "boss_id")
TAGS = table("tags", "id")
POST_TAGS = Table("api", "post_tags", "r", POSTS.columns | TAGS.columns, pk=("id", "user_id"))
FKS = (
    ForeignKey("posts_user_fk", ("api", "posts"), ("user_id",), ("api", "users"), ("id",)),
    # the same key restated for the view over users, as the schema cache does
    ForeignKey("posts_user_fk", ("api", "posts"), ("user_id",), ("api", "users_view"), ("id",)),
    ForeignKey("staff_boss_fk", ("api", "staff"), ("boss_id",), ("api", "staff"), ("id",)),
    ForeignKey("pt_post", ("api", "post_tags"), ("id",), ("api", "posts"), ("id",)),
    ForeignKey("pt_tag", ("api", "post_tags"), ("user_id",), ("api", "tags"), ("id",)),
)


def cache(*functions: Function) -> SchemaCache:
    tables = {("api", t.name): t for t in (USERS, USERS_VIEW, POSTS, STAFF, TAGS, POST_TAGS)}
    return SchemaCache(
        schemas=("api",),
        tables=tables,
        functions={("api", f.name): (f,) for f in functions},
        foreign_keys=FKS,
    )


def test_constraint_and_column_targets_skip_the_view() -> None:
    c = cache()
    for name in ("posts_user_fk", "user_id"):
        rel = find(c, POSTS, name, None)
        assert (rel.target.name, rel.cardinality) == ("users", "many-to-one")
    assert find(c, POSTS, "users_view", None).target is USERS_VIEW
    back = find(c, USERS, "posts_user_fk", None)
    assert (back.target.name, back.cardinality) == ("posts", "one-to-many")


def test_self_reference_table_is_children_column_is_parent() -> None:
    c = cache()
    assert find(c, STAFF, "staff", None).cardinality == "one-to-many"
    assert find(c, STAFF, "boss_id", None).cardinality == "many-to-one"
    assert find(c, STAFF, "staff", "boss_id").cardinality == "one-to-many"
    for name, hint in (("staff_boss_fk", None), ("staff", "staff_boss_fk")):
        with pytest.raises(ApiError) as exc:
            find(c, STAFF, name, hint)
        assert exc.value.code == "PGRST200"


def test_many_to_many_hint_is_the_junction_only() -> None:
    c = cache()
    assert find(c, POSTS, "tags", "post_tags").junction is POST_TAGS
    with pytest.raises(ApiError) as exc:
        find(c, POSTS, "tags", "pt_tag")
    assert exc.value.code == "PGRST200"


def test_computed_relationship_named_like_a_table_replaces_its_keys() -> None:
    users_fn = Function(
        oid=1,
        schema="api",
        name="users",
        params=(),
        return_type="api.users",
        return_base="users",
        returns_set=True,
        volatility="s",
        ret_columns=USERS.columns,
        ret_relation=("api", "users"),
        rows=1,
        arg_relation=("api", "posts"),
    )
    rel = find(cache(users_fn), POSTS, "users", None)
    assert rel.function is users_fn and rel.to_one


def test_duplicate_embed_names_and_aliases_in_errors() -> None:
    c = cache()

    def get(qs: str) -> None:
        plan(
            build("GET", "/users", qs.encode(), {}, [], b"", c.schemas), c, aggregates_enabled=True
        )

    with pytest.raises(ApiError) as exc:
        get("select=posts(id),posts(user_id)")
    assert (exc.value.code, exc.value.message) == (
        "42712",
        'table name "users_posts_1" specified more than once',
    )
    with pytest.raises(ApiError) as exc:
        get("select=posts(tags(nope))")
    assert exc.value.message == "column tags.nope does not exist"
    get("select=a:posts(id),b:posts(user_id)")


def test_spread_aggregates_are_applied_by_the_parent() -> None:
    c = cache()
    req = build("GET", "/posts", b"select=...user_id(n:id.count(),name)", {}, [], b"", c.schemas)
    sql = query.build(plan(req, c, aggregates_enabled=True)).sql
    assert 'COUNT("pgrst_e1".pgrst_s0)' in sql
    assert 'GROUP BY "pgrst_e1".pgrst_s1' in sql


def test_an_embed_alias_never_shadows_its_parent() -> None:
    # a root named like PostgREST's alias of its embed (`users_1` embedding users)
    users_1 = table("users_1", "id", "user_id")
    fk = ForeignKey("u1_user", ("api", "users_1"), ("user_id",), ("api", "users"), ("id",))
    c = SchemaCache(
        schemas=("api",),
        tables={("api", "users"): USERS, ("api", "users_1"): users_1},
        functions={},
        foreign_keys=(fk,),
    )
    req = build("GET", "/users_1", b"select=id,users(name)", {}, [], b"", c.schemas)
    sql = query.build(plan(req, c)).sql
    assert '"api"."users" AS "pgrst_1"' in sql and '"pgrst_1"."id" = "users_1"."user_id"' in sql

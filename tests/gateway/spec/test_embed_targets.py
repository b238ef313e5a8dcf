"""What an embed's name may be, as PostgREST's relationship lookup (Plan.hs findRel) reads
it: a table, a foreign key's constraint name or its column, in both directions (a
constraint or column never reaches a view); self-referencing keys (the table's name is the
one-to-many side, the column the many-to-one side); two embeds with one name at one level
(PostgreSQL's 42712 on the lateral alias PostgREST gives both); unknown columns named by
PostgREST's relation aliases (`posts_1`, `posts_users_1`); keys restated for views, view
to view and through a view of a view. Ported from PostgREST's
EmbedDisambiguationSpec.hs and its resource embedding docs; fixtures in
fixtures/embed_targets.sql (users, best_friends, posts, channels, users_view, posts_view,
users_chain, employees).
"""

from __future__ import annotations

from tests.gateway.conftest import Gateway
from tests.gateway.spec._http import assert_error, assert_rows
from tests.gateway.spec.test_embed_disambiguation import assert_ambiguous

# -- a constraint name as the target ----------------------------------------------------------


def test_constraint_name_on_the_referenced_table_is_the_one_to_many(api: Gateway) -> None:
    assert_rows(
        api.get(
            "/users?select=username,first_friend_of:best_friends_first_user_fkey(id)"
            "&order=id&first_friend_of.order=id"
        ),
        [
            {"username": "ann", "first_friend_of": [{"id": 1}]},
            {"username": "bob", "first_friend_of": [{"id": 2}]},
            {"username": "cid", "first_friend_of": []},
        ],
    )


def test_constraint_name_on_the_referencing_table_is_the_many_to_one(api: Gateway) -> None:
    assert_rows(
        api.get(
            "/best_friends?select=id,first:best_friends_first_user_fkey(username),"
            "third:best_friends_third_user_fkey(username)&order=id"
        ),
        [
            {"id": 1, "first": {"username": "ann"}, "third": {"username": "cid"}},
            {"id": 2, "first": {"username": "bob"}, "third": None},
        ],
    )


def test_the_table_name_is_ambiguous_between_three_keys(api: Gateway) -> None:
    assert_ambiguous(
        api.get("/users?select=best_friends(id)"),
        "users",
        "best_friends",
        [
            {
                "cardinality": "one-to-many",
                "embedding": "users with best_friends",
                "relationship": (
                    f"best_friends_{n}_user_fkey using users(id) and best_friends({n}_user)"
                ),
            }
            for n in ("first", "second", "third")
        ],
    )


def test_constraint_name_ignores_the_same_key_through_a_view(api: Gateway) -> None:
    # posts → users and posts → users_view share posts_username_fkey; the view is left out
    assert_rows(
        api.get("/posts?select=id,posts_username_fkey(id)&id=in.(2,4)&order=id"),
        [{"id": 2, "posts_username_fkey": {"id": 2}}, {"id": 4, "posts_username_fkey": None}],
    )
    assert_rows(
        api.get(
            "/users?select=username,posts_username_fkey(id)&id=eq.1&posts_username_fkey.order=id"
        ),
        [{"username": "ann", "posts_username_fkey": [{"id": 1}, {"id": 3}]}],
    )


# -- a column as the target -------------------------------------------------------------------


def test_column_name_is_the_many_to_one_and_ignores_views(api: Gateway) -> None:
    assert_rows(
        api.get("/posts?select=body,username(id,username)&order=id"),
        [
            {"body": "hello", "username": {"id": 1, "username": "ann"}},
            {"body": "hi ann", "username": {"id": 2, "username": "bob"}},
            {"body": "off topic", "username": {"id": 1, "username": "ann"}},
            {"body": "lost", "username": None},
        ],
    )


def test_the_view_is_still_reached_by_its_own_name(api: Gateway) -> None:
    assert_rows(
        api.get("/posts?select=id,users_view(username)&id=eq.2"),
        [{"id": 2, "users_view": {"username": "bob"}}],
    )


def test_view_to_view_and_views_of_views(api: Gateway) -> None:
    # posts_view → users_view restate posts_username_fkey; users_chain (a view over
    # users_view) is followed down to users
    assert_rows(
        api.get("/posts_view?select=id,users_view(username)&id=eq.2"),
        [{"id": 2, "users_view": {"username": "bob"}}],
    )
    assert_rows(
        api.get("/users_chain?select=handle,posts(id)&id=eq.1&posts.order=id"),
        [{"handle": "ann", "posts": [{"id": 1}, {"id": 3}]}],
    )
    assert_rows(
        api.get("/posts?select=id,users_chain(handle)&id=eq.3"),
        [{"id": 3, "users_chain": {"handle": "ann"}}],
    )


def test_column_of_the_referenced_table_is_the_one_to_many(api: Gateway) -> None:
    # channels(id) is referenced by posts(channel_id) only: `id(…)` embeds those posts
    assert_rows(
        api.get("/channels?select=slug,id(body)&slug=eq.random"),
        [{"slug": "random", "id": [{"body": "off topic"}]}],
    )


def test_column_target_with_an_alias_keeps_the_column(api: Gateway) -> None:
    assert_rows(
        api.get("/posts?select=username,author:username(id)&id=eq.1"),
        [{"username": "ann", "author": {"id": 1}}],
    )


# -- self-referencing foreign keys ------------------------------------------------------------


def test_self_reference_column_is_the_parent(api: Gateway) -> None:
    assert_rows(
        api.get("/employees?select=name,manager_id(name)&order=id"),
        [
            {"name": "Dana", "manager_id": None},
            {"name": "Eli", "manager_id": {"name": "Dana"}},
            {"name": "Fay", "manager_id": {"name": "Dana"}},
            {"name": "Gus", "manager_id": {"name": "Eli"}},
        ],
    )


def test_self_reference_table_name_is_the_children(api: Gateway) -> None:
    assert_rows(
        api.get("/employees?select=name,employees(name)&id=in.(1,2,4)&order=id&employees.order=id"),
        [
            {"name": "Dana", "employees": [{"name": "Eli"}, {"name": "Fay"}]},
            {"name": "Eli", "employees": [{"name": "Gus"}]},
            {"name": "Gus", "employees": []},
        ],
    )


def test_self_reference_children_by_hint_and_parents_recursively(api: Gateway) -> None:
    assert_rows(
        api.get(
            "/employees?select=name,reports:employees!manager_id(name,reports:employees!manager_id(name))"
            "&id=eq.1&reports.order=id"
        ),
        [
            {
                "name": "Dana",
                "reports": [
                    {"name": "Eli", "reports": [{"name": "Gus"}]},
                    {"name": "Fay", "reports": []},
                ],
            }
        ],
    )
    assert_rows(
        api.get("/employees?select=name,boss:manager_id(name,boss:manager_id(name))&id=eq.4"),
        [{"name": "Gus", "boss": {"name": "Eli", "boss": {"name": "Dana"}}}],
    )


def test_self_reference_constraint_name_is_not_a_target(api: Gateway) -> None:
    # findRel's self-relationship branch knows only the table and the column
    assert_error(
        api.get("/employees?select=name,employees_manager_id_fkey(name)"),
        400,
        "PGRST200",
        "Could not find a relationship between 'employees' and 'employees_manager_id_fkey'"
        " in the schema cache",
        "Searched for a foreign key relationship between 'employees' and "
        "'employees_manager_id_fkey' in the schema 'test', but no matches were found.",
        "Perhaps you meant 'employees' instead of 'employees_manager_id_fkey'.",
    )


# -- one name twice at one level --------------------------------------------------------------


def test_two_embeds_with_one_name_are_postgres_duplicate_alias(api: Gateway) -> None:
    assert_error(
        api.get("/users?select=id,posts(id),posts(body)"),
        400,
        "42712",
        'table name "users_posts_1" specified more than once',
    )
    assert_error(
        api.get("/channels?select=posts(users(id),users(username))"),
        400,
        "42712",
        'table name "posts_users_2" specified more than once',
    )
    assert_error(
        api.get("/posts?select=id,...users(id),...users(username)"),
        400,
        "42712",
        'table name "posts_users_1" specified more than once',
    )


def test_aliases_make_two_embeds_of_one_table_distinct(api: Gateway) -> None:
    assert_rows(
        api.get("/users?select=id,ids:posts(id),bodies:posts(body)&id=eq.2"),
        [{"id": 2, "ids": [{"id": 2}], "bodies": [{"body": "hi ann"}]}],
    )


# -- unknown columns name PostgREST's aliases -------------------------------------------------


def test_unknown_columns_in_embeds_name_the_relation_alias(api: Gateway) -> None:
    cases = [
        ("/users?select=posts(nope)", "posts_1.nope"),
        ("/channels?select=posts(users(nope))", "users_2.nope"),
        ("/users?select=posts(id)&posts.nope=eq.1", "posts_1.nope"),
        ("/users?select=posts(id)&posts.order=nope", "posts_1.nope"),
        ("/posts?select=...users(nope)", "users_1.nope"),
        ("/posts?select=id,users(id)&order=users(nope)", "posts_users_1.nope"),
        ("/books?select=genres(nope)", "genres.nope"),  # many-to-many: unaliased
        ("/users?select=nope,posts(id)", "users.nope"),
    ]
    for path, column in cases:
        assert_error(api.get(path), 400, "42703", f"column {column} does not exist")

"""Aggregates inside embedded resources (db-aggregates-enabled): a to-one embed whose
select holds only aggregates, `count` as a column inside it, aliases and casts; a spread's
aggregates hoisted to the level above and grouped by the other columns there, nested
spreads included (Plan.hs hoistSpreadAggFunctions); `*` next to aggregates in a spread;
aggregates in to-many spreads are v13's 400 PGRST127. Ported from
PostgREST's AggregateFunctionsSpec.hs; fixtures in fixtures/embed_targets.sql (posts.likes
3, 5, 1, 0 in channels 1, 1, 2, none; tasks.hours 4, 6 for Eli, 5 for Fay, 2 for Gus;
Eli and Fay report to Dana, Gus to Eli).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.gateway.conftest import Gateway, GatewayFactory
from tests.gateway.spec._http import assert_error, assert_rows, body_json


@pytest.fixture(scope="module")
def agg(start_gateway: GatewayFactory) -> Gateway:
    return start_gateway(PGRST_DB_AGGREGATES_ENABLED="true")


# -- to-one embeds holding only aggregates ----------------------------------------------------


def test_to_one_embed_with_only_a_count(agg: Gateway) -> None:
    assert_rows(
        agg.get("/posts?select=id,channels(count())&order=id"),
        [
            {"id": 1, "channels": {"count": 1}},
            {"id": 2, "channels": {"count": 1}},
            {"id": 3, "channels": {"count": 1}},
            {"id": 4, "channels": {"count": 0}},
        ],
    )


def test_count_as_a_column_in_a_to_one_inside_a_to_many(agg: Gateway) -> None:
    assert_rows(
        agg.get("/users?select=username,posts(channels(count))&id=in.(1,3)&order=id"),
        [
            {
                "username": "ann",
                "posts": [{"channels": {"count": 1}}, {"channels": {"count": 1}}],
            },
            {"username": "cid", "posts": []},
        ],
    )


def test_to_one_embed_with_a_sum_an_alias_and_a_cast(agg: Gateway) -> None:
    assert_rows(
        agg.get("/posts?select=id,channels(id.sum()),ch:channels(n:count()::text)&order=id"),
        [
            {"id": 1, "channels": {"sum": 1}, "ch": {"n": "1"}},
            {"id": 2, "channels": {"sum": 1}, "ch": {"n": "1"}},
            {"id": 3, "channels": {"sum": 2}, "ch": {"n": "1"}},
            {"id": 4, "channels": {"sum": None}, "ch": {"n": "0"}},
        ],
    )


def test_to_one_embed_with_only_aggregates_groups_the_parent(agg: Gateway) -> None:
    resp = agg.get("/posts?select=likes.sum(),channels(count())")
    assert resp.status_code == 200, resp.text
    rows: list[dict[str, Any]] = body_json(resp)
    assert sorted(rows, key=lambda r: r["sum"]) == [
        {"sum": 0, "channels": {"count": 0}},
        {"sum": 9, "channels": {"count": 1}},
    ]


# -- to-one spreads: aggregates hoisted to the parent ----------------------------------------


def test_spread_columns_group_the_parent_aggregate(agg: Gateway) -> None:
    assert_rows(
        agg.get(
            "/tasks?select=total:hours.sum(),...employees(manager_id)&order=employees(manager_id)"
        ),
        [{"total": 15, "manager_id": 1}, {"total": 2, "manager_id": 2}],
    )


def test_spread_aggregate_is_computed_at_the_parent(agg: Gateway) -> None:
    # not once per task (four times 1) but over every task row
    assert_rows(agg.get("/tasks?select=...employees(people:id.count())"), [{"people": 4}])
    assert_rows(
        agg.get("/tasks?select=...employees(manager_id,n:count())&order=employees(manager_id)"),
        [{"manager_id": 1, "n": 3}, {"manager_id": 2, "n": 1}],
    )


def test_spread_aggregate_next_to_a_parent_column(agg: Gateway) -> None:
    assert_rows(
        agg.get("/tasks?select=employee_id,...employees(name.max())&order=employee_id"),
        [
            {"employee_id": 2, "max": "Eli"},
            {"employee_id": 3, "max": "Fay"},
            {"employee_id": 4, "max": "Gus"},
        ],
    )


def test_nested_spread_aggregate_is_hoisted_to_the_top(agg: Gateway) -> None:
    resp = agg.get("/tasks?select=...employees(...manager_id(boss:name,n:id.count(),h:id.sum()))")
    rows: list[dict[str, Any]] = body_json(resp)
    assert resp.status_code == 200, resp.text
    assert sorted(rows, key=lambda r: r["boss"]) == [
        {"boss": "Dana", "n": 3, "h": 3},
        {"boss": "Eli", "n": 1, "h": 2},
    ]


def test_star_in_a_spread_next_to_aggregates(agg: Gateway) -> None:
    assert_rows(
        agg.get("/tasks?select=...employees(*,n:count(),hours:id.max())&order=employees(id)"),
        [
            {"id": 2, "name": "Eli", "manager_id": 1, "n": 2, "hours": 2},
            {"id": 3, "name": "Fay", "manager_id": 1, "n": 1, "hours": 3},
            {"id": 4, "name": "Gus", "manager_id": 2, "n": 1, "hours": 4},
        ],
    )


def test_spread_aggregates_inside_a_to_many_embed(agg: Gateway) -> None:
    assert_rows(
        agg.get("/employees?select=name,tasks(...employees(manager_id,n:count()))&id=eq.2"),
        [{"name": "Eli", "tasks": [{"manager_id": 1, "n": 2}]}],
    )


# -- to-many spreads --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "select",
    [
        "slug,...posts(likes.sum())",
        "slug,...posts(body,n:count())",
        "slug,...posts(*,count)",
        "slug,...posts(body,...users(n:id.count()))",  # hoisted from a to-one spread inside
    ],
)
def test_to_many_spread_aggregates_are_not_implemented(agg: Gateway, select: str) -> None:
    # PostgREST 13 (AggregateFunctionsSpec "does not support the use of aggregates")
    assert_error(
        agg.get(f"/channels?select={select}"),
        400,
        "PGRST127",
        "Feature not implemented",
        "Aggregates are not implemented for one-to-many or many-to-many spreads.",
    )


def test_to_many_spread_without_aggregates_next_to_parent_aggregates(agg: Gateway) -> None:
    # the arrays are jsonb, as every embed: the parent can group by them
    resp = agg.get("/channels?select=n:count(),...posts(likes)&posts.order=likes")
    assert resp.status_code == 200, resp.text
    rows: list[dict[str, Any]] = body_json(resp)
    assert sorted(rows, key=lambda r: r["likes"]) == [
        {"n": 1, "likes": [1]},
        {"n": 1, "likes": [3, 5]},
    ]


# -- errors -----------------------------------------------------------------------------------


def test_unknown_column_in_a_spread_names_its_alias(agg: Gateway) -> None:
    assert_error(
        agg.get("/tasks?select=...employees(nope.sum())"),
        400,
        "42703",
        "column employees_1.nope does not exist",
    )
    assert_error(
        agg.get("/users?select=posts(channels(nope.sum()))"),
        400,
        "42703",
        "column channels_2.nope does not exist",
    )


def test_related_order_on_an_aggregating_embed_takes_its_grouped_columns(agg: Gateway) -> None:
    assert_rows(
        agg.get("/posts?select=likes.sum(),ch:channels(slug,count())&order=ch(slug)"),
        [
            {"sum": 8, "ch": {"slug": "general", "count": 1}},
            {"sum": 1, "ch": {"slug": "random", "count": 1}},
            {"sum": 0, "ch": None},
        ],
    )
    assert_error(
        agg.get("/tasks?select=hours,employees(count())&order=employees(name)"),
        400,
        "42703",
        "column tasks_employees_1.name does not exist",
    )


def test_postgres_errors_name_postgrest_relation_aliases(agg: Gateway) -> None:
    assert_error(
        agg.get("/employees?select=name,tasks(count())&tasks.order=hours"),
        400,
        "42803",
        'column "tasks_1.hours" must appear in the GROUP BY clause or be used in an'
        " aggregate function",
    )

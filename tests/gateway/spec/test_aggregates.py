"""Aggregate functions in `select` when `db-aggregates-enabled`: count(), sum(), avg(),
min(), max(), grouped by every selected non-aggregate column, with aliases and casts, on
RPC results and inside embeds; 400 PGRST123 when disabled (the default). Ported from
PostgREST's AggregateFunctionsSpec.hs; fixtures in fixtures/embed.sql (books.pages:
183, 387, 165, 260, 174, 100; author_id 1, 1, 2, 2, 3, NULL).
"""

from __future__ import annotations

import pytest

from tests.gateway.conftest import Gateway, GatewayFactory
from tests.gateway.spec._http import assert_error, assert_rows


@pytest.fixture(scope="module")
def agg(start_gateway: GatewayFactory) -> Gateway:
    return start_gateway(PGRST_DB_AGGREGATES_ENABLED="true")


@pytest.mark.parametrize(
    ("select", "expected"),
    [
        ("count()", {"count": 6}),
        ("n:count()", {"n": 6}),
        ("count()::text", {"count": "6"}),
        ("pages.sum()", {"sum": 1269}),
        ("pages.avg()", {"avg": 211.5}),
        ("pages.min()", {"min": 100}),
        ("pages.max()", {"max": 387}),
        ("pages.count()", {"count": 6}),
        ("author_id.count()", {"count": 5}),
        ("total:pages.sum()::text", {"total": "1269"}),
        ("pages.min(),pages.max()", {"min": 100, "max": 387}),
    ],
)
def test_aggregate_over_the_whole_table(
    agg: Gateway, select: str, expected: dict[str, object]
) -> None:
    assert_rows(agg.get(f"/books?select={select}"), [expected])


def test_filters_apply_before_aggregating(agg: Gateway) -> None:
    assert_rows(
        agg.get("/books?select=pages.max(),count()&year=gt.1970"), [{"max": 387, "count": 3}]
    )


def test_other_columns_become_the_group_by(agg: Gateway) -> None:
    assert_rows(
        agg.get("/books?select=author_id,pages.sum(),count()&order=author_id"),
        [
            {"author_id": 1, "sum": 570, "count": 2},
            {"author_id": 2, "sum": 425, "count": 2},
            {"author_id": 3, "sum": 174, "count": 1},
            {"author_id": None, "sum": 100, "count": 1},
        ],
    )


def test_grouping_column_alias_and_aggregate_cast(agg: Gateway) -> None:
    assert_rows(
        agg.get("/books?select=who:author_id,total:pages.sum()::text&author_id=eq.2"),
        [{"who": 2, "total": "425"}],
    )


def test_avg_per_group(agg: Gateway) -> None:
    assert_rows(
        agg.get("/books?select=author_id,pages.avg()&author_id=eq.2"),
        [{"author_id": 2, "avg": 212.5}],
    )


def test_embedded_to_one_is_part_of_the_group(agg: Gateway) -> None:
    assert_rows(
        agg.get(
            "/books?select=author_id,total:pages.sum(),authors(name)&author_id=lte.2&order=author_id"
        ),
        [
            {"author_id": 1, "total": 570, "authors": {"name": "Ursula K. Le Guin"}},
            {"author_id": 2, "total": 425, "authors": {"name": "Italo Calvino"}},
        ],
    )


def test_aggregates_inside_a_to_many_embed(agg: Gateway) -> None:
    assert_rows(
        agg.get("/authors?select=name,books(pages.sum(),count())&order=id"),
        [
            {"name": "Ursula K. Le Guin", "books": [{"sum": 570, "count": 2}]},
            {"name": "Italo Calvino", "books": [{"sum": 425, "count": 2}]},
            {"name": "Jorge Luis Borges", "books": [{"sum": 174, "count": 1}]},
            {"name": "Nobody Yet", "books": [{"sum": None, "count": 0}]},
        ],
    )


def test_aggregates_inside_an_embed_with_grouping(agg: Gateway) -> None:
    assert_rows(
        agg.get("/authors?select=id,by_year:books(year,pages.max())&id=eq.1&by_year.order=year"),
        [{"id": 1, "by_year": [{"year": 1968, "max": 183}, {"year": 1974, "max": 387}]}],
    )


def test_aggregates_on_a_function_result(agg: Gateway) -> None:
    assert_rows(agg.get("/rpc/books_by_author?author=1&select=pages.sum()"), [{"sum": 570}])


@pytest.mark.parametrize(
    "path",
    [
        "/books?select=count()",
        "/books?select=pages.sum()",
        "/books?select=author_id,pages.avg()",
        "/authors?select=name,books(pages.max())",
        "/rpc/books_by_author?author=1&select=pages.min()",
    ],
)
def test_aggregates_are_refused_when_disabled(api: Gateway, path: str) -> None:
    assert_error(api.get(path), 400, "PGRST123", "Use of aggregate functions is not allowed")


def test_count_as_a_column_is_kept_for_compatibility(agg: Gateway) -> None:
    assert_rows(agg.get("/books?select=count"), [{"count": 6}])
    assert_rows(
        agg.get("/authors?select=name,books(count)&id=eq.1"),
        [{"name": "Ursula K. Le Guin", "books": [{"count": 2}]}],
    )


def test_spread_of_a_to_many_aggregates_into_arrays(agg: Gateway) -> None:
    # SpreadQueriesSpec aggEnabledSpec: one array per spread column, [] when no rows.
    assert_rows(
        agg.get("/authors?select=name,...books(title,year)&id=in.(3,4)&order=id"),
        [
            {"name": "Jorge Luis Borges", "title": ["Ficciones"], "year": [1944]},
            {"name": "Nobody Yet", "title": [], "year": []},
        ],
    )


def test_spread_of_a_many_to_many_into_arrays(agg: Gateway) -> None:
    assert_rows(
        agg.get("/genres?select=name,...books(ids:id)&id=eq.2"),
        [{"name": "scifi", "ids": [2]}],
    )

"""Shaping embeds: filters, `or`, order, limit/offset inside an embed; `!inner`/`!left`;
`is.null`/`not.is.null` on an embed (anti-join / inner join); ordering the parent by a
to-one embedded column; spread `...rel(cols)`; empty embeds `rel()`. Ported from
PostgREST's QuerySpec.hs, EmbedInnerJoinSpec.hs, RelatedQueriesSpec.hs and
SpreadQueriesSpec.hs; fixtures in fixtures/embed.sql.
"""

from __future__ import annotations

import pytest

from tests.gateway.conftest import Gateway
from tests.gateway.spec._http import assert_error, assert_rows

URSULA = "Ursula K. Le Guin"
ITALO = "Italo Calvino"
BORGES = "Jorge Luis Borges"
WIZARD = "A Wizard of Earthsea"
DISPOSSESSED = "The Dispossessed"
CITIES = "Invisible Cities"
WINTER = "If on a winter's night a traveler"


# -- filters, or, order, limit inside an embed -------------------------------------------


def test_filter_on_an_embed_does_not_filter_the_parent(api: Gateway) -> None:
    assert_rows(
        api.get(
            "/authors?select=name,books(title)&id=in.(1,2)&books.year=gt.1973&order=id&books.order=id"
        ),
        [
            {"name": URSULA, "books": [{"title": DISPOSSESSED}]},
            {"name": ITALO, "books": [{"title": WINTER}]},
        ],
    )


def test_or_inside_an_embed(api: Gateway) -> None:
    resp = api.get(
        "/authors?select=name,books(title)&id=in.(1,2)&order=id"
        "&books.or=(year.lt.1970,pages.gt.300)&books.order=id"
    )
    assert_rows(
        resp,
        [
            {"name": URSULA, "books": [{"title": WIZARD}, {"title": DISPOSSESSED}]},
            {"name": ITALO, "books": []},
        ],
    )


def test_order_inside_an_embed(api: Gateway) -> None:
    assert_rows(
        api.get("/authors?select=name,books(title)&id=eq.1&books.order=year.desc"),
        [{"name": URSULA, "books": [{"title": DISPOSSESSED}, {"title": WIZARD}]}],
    )


def test_limit_and_offset_inside_an_embed(api: Gateway) -> None:
    resp = api.get(
        "/authors?select=name,books(title)&id=in.(1,2)&order=id"
        "&books.order=id&books.limit=1&books.offset=1"
    )
    assert_rows(
        resp,
        [
            {"name": URSULA, "books": [{"title": DISPOSSESSED}]},
            {"name": ITALO, "books": [{"title": WINTER}]},
        ],
    )


def test_limit_inside_an_aliased_embed(api: Gateway) -> None:
    assert_rows(
        api.get(
            "/authors?select=name,latest:books(title)&id=eq.2&latest.order=year.desc&latest.limit=1"
        ),
        [{"name": ITALO, "latest": [{"title": WINTER}]}],
    )


def test_filter_two_levels_down(api: Gateway) -> None:
    resp = api.get(
        "/authors?select=name,books(title,reviews(body))&id=eq.1"
        "&books.order=id&books.reviews.stars=eq.5"
    )
    assert_rows(
        resp,
        [
            {
                "name": URSULA,
                "books": [
                    {"title": WIZARD, "reviews": [{"body": "a classic"}]},
                    {"title": DISPOSSESSED, "reviews": [{"body": "deep"}]},
                ],
            }
        ],
    )


def test_filter_on_a_many_to_many_embed(api: Gateway) -> None:
    assert_rows(
        api.get("/genres?select=name,books(title)&id=eq.3&books.year=lt.1970"),
        [{"name": "literary", "books": [{"title": "Ficciones"}]}],
    )


# -- !inner and !left --------------------------------------------------------------------


def test_inner_keeps_only_parents_with_matching_children(api: Gateway) -> None:
    assert_rows(
        api.get("/authors?select=name,books!inner(title)&books.year=lt.1970&order=id"),
        [
            {"name": URSULA, "books": [{"title": WIZARD}]},
            {"name": BORGES, "books": [{"title": "Ficciones"}]},
        ],
    )


def test_inner_on_a_many_to_one(api: Gateway) -> None:
    assert_rows(
        api.get("/books?select=title,authors!inner(name)&authors.country=eq.AR"),
        [{"title": "Ficciones", "authors": {"name": BORGES}}],
    )


def test_inner_on_a_many_to_many(api: Gateway) -> None:
    assert_rows(
        api.get("/books?select=id,genres!inner(name)&genres.name=eq.scifi"),
        [{"id": 2, "genres": [{"name": "scifi"}]}],
    )


def test_inner_without_filter_drops_parents_without_children(api: Gateway) -> None:
    assert_rows(
        api.get("/authors?select=id,books!inner(id)&order=id&books.order=id"),
        [
            {"id": 1, "books": [{"id": 1}, {"id": 2}]},
            {"id": 2, "books": [{"id": 3}, {"id": 4}]},
            {"id": 3, "books": [{"id": 5}]},
        ],
    )


def test_nested_inner_joins(api: Gateway) -> None:
    # EmbedInnerJoinSpec: an inner join two levels down filters every level above it.
    resp = api.get(
        "/authors?select=name,books!inner(title,reviews!inner(stars))&books.reviews.stars=eq.3"
    )
    assert_rows(resp, [{"name": ITALO, "books": [{"title": CITIES, "reviews": [{"stars": 3}]}]}])


def test_left_is_the_default(api: Gateway) -> None:
    assert_rows(
        api.get("/authors?select=name,books!left(title)&books.year=lt.1970&order=id"),
        [
            {"name": URSULA, "books": [{"title": WIZARD}]},
            {"name": ITALO, "books": []},
            {"name": BORGES, "books": [{"title": "Ficciones"}]},
            {"name": "Nobody Yet", "books": []},
        ],
    )


def test_inner_with_exact_count_counts_joined_parents(api: Gateway) -> None:
    resp = api.get(
        "/authors?select=id,books!inner(id)&books.year=lt.1970&order=id",
        headers={"Prefer": "count=exact"},
    )
    assert_rows(resp, [{"id": 1, "books": [{"id": 1}]}, {"id": 3, "books": [{"id": 5}]}], "0-1/2")


# -- null filters on an embed -------------------------------------------------------------


def test_is_null_on_a_one_to_many_is_an_anti_join(api: Gateway) -> None:
    assert_rows(api.get("/authors?select=name,books()&books=is.null"), [{"name": "Nobody Yet"}])


def test_not_is_null_on_a_one_to_many_is_an_inner_join(api: Gateway) -> None:
    resp = api.get("/authors?select=id,books()&books.year=lt.1970&books=not.is.null&order=id")
    assert_rows(resp, [{"id": 1}, {"id": 3}])


def test_is_null_on_a_many_to_one(api: Gateway) -> None:
    assert_rows(
        api.get("/books?select=title,authors(name)&authors=is.null"),
        [{"title": "Anonymous Tales", "authors": None}],
    )


def test_not_is_null_on_a_many_to_one(api: Gateway) -> None:
    assert_rows(
        api.get("/books?select=title,authors(name)&authors=not.is.null&id=gte.5"),
        [{"title": "Ficciones", "authors": {"name": BORGES}}],
    )


def test_null_filter_on_an_aliased_embed(api: Gateway) -> None:
    assert_rows(
        api.get("/authors?select=name,works:books()&works=is.null"), [{"name": "Nobody Yet"}]
    )


def test_null_filter_on_a_many_to_many(api: Gateway) -> None:
    assert_rows(api.get("/genres?select=name,books()&books=is.null"), [{"name": "poetry"}])


def test_or_across_embeds(api: Gateway) -> None:
    resp = api.get(
        "/authors?select=id,books(),author_profiles()"
        "&or=(books.not.is.null,author_profiles.not.is.null)&order=id"
    )
    assert_rows(resp, [{"id": 1}, {"id": 2}, {"id": 3}])


def test_other_operators_on_an_embed_are_rejected(api: Gateway) -> None:
    assert_error(
        api.get("/authors?select=name,books(title)&books=eq.1"),
        400,
        "PGRST120",
        "Bad operator on the 'books' embedded resource",
        "Only is null or not is null filters are allowed on embedded resources",
    )


def test_filter_on_a_resource_that_is_not_embedded(api: Gateway) -> None:
    assert_error(
        api.get("/authors?select=name&books.year=gt.1970"),
        400,
        "PGRST108",
        "'books' is not an embedded resource in this request",
        hint="Verify that 'books' is included in the 'select' query parameter.",
    )


# -- ordering the parent by an embedded column ---------------------------------------------


def test_order_parent_by_a_many_to_one_column(api: Gateway) -> None:
    resp = api.get("/books?select=id,authors(name)&authors=not.is.null&order=authors(name).desc,id")
    assert_rows(
        resp,
        [
            {"id": 1, "authors": {"name": URSULA}},
            {"id": 2, "authors": {"name": URSULA}},
            {"id": 5, "authors": {"name": BORGES}},
            {"id": 3, "authors": {"name": ITALO}},
            {"id": 4, "authors": {"name": ITALO}},
        ],
    )


def test_order_parent_by_an_aliased_to_one_with_nulls_first(api: Gateway) -> None:
    resp = api.get("/books?select=id,writer:authors(country)&order=writer(country).nullsfirst,id")
    assert_rows(
        resp,
        [
            {"id": 6, "writer": None},
            {"id": 5, "writer": {"country": "AR"}},
            {"id": 3, "writer": {"country": "IT"}},
            {"id": 4, "writer": {"country": "IT"}},
            {"id": 1, "writer": {"country": "US"}},
            {"id": 2, "writer": {"country": "US"}},
        ],
    )


def test_order_parent_by_a_one_to_one_column(api: Gateway) -> None:
    assert_rows(
        api.get(
            "/authors?select=id,author_profiles(bio)&author_profiles=not.is.null&order=author_profiles(bio)"
        ),
        [
            {"id": 2, "author_profiles": {"bio": "Member of the Oulipo"}},
            {"id": 1, "author_profiles": {"bio": "Wrote Earthsea"}},
        ],
    )


def test_order_parent_by_a_to_many_embed_is_rejected(api: Gateway) -> None:
    assert_error(
        api.get("/authors?select=name,books(title)&order=books(title)"),
        400,
        "PGRST118",
        "A related order on 'books' is not possible",
        "'authors' and 'books' do not form a many-to-one or one-to-one relationship",
    )


def test_order_by_a_resource_that_is_not_embedded(api: Gateway) -> None:
    assert_error(
        api.get("/books?select=id,authors(name)&order=writers(name)"),
        400,
        "PGRST108",
        "'writers' is not an embedded resource in this request",
        hint="Verify that 'writers' is included in the 'select' query parameter.",
    )


# -- spread --------------------------------------------------------------------------------


def test_spread_a_many_to_one_into_the_parent(api: Gateway) -> None:
    assert_rows(
        api.get("/books?select=title,...authors(author:name,country)&id=in.(1,5)&order=id"),
        [
            {"title": WIZARD, "author": URSULA, "country": "US"},
            {"title": "Ficciones", "author": BORGES, "country": "AR"},
        ],
    )


def test_spread_of_a_missing_to_one_gives_nulls(api: Gateway) -> None:
    assert_rows(
        api.get("/books?select=title,...authors(name,country)&id=eq.6"),
        [{"title": "Anonymous Tales", "name": None, "country": None}],
    )


def test_spread_a_one_to_one(api: Gateway) -> None:
    assert_rows(
        api.get("/authors?select=name,...author_profiles(bio)&id=eq.2"),
        [{"name": ITALO, "bio": "Member of the Oulipo"}],
    )


def test_nested_spread(api: Gateway) -> None:
    assert_rows(
        api.get("/reviews?select=stars,...books(title,...authors(name))&id=eq.4"),
        [{"stars": 3, "title": CITIES, "name": ITALO}],
    )


def test_spread_with_an_embed_inside(api: Gateway) -> None:
    assert_rows(
        api.get("/reviews?select=id,...books(title,authors(name))&id=eq.5"),
        [{"id": 5, "title": "Ficciones", "authors": {"name": BORGES}}],
    )


def test_spread_inside_a_junction_embed(api: Gateway) -> None:
    # SpreadQueriesSpec: "can include or exclude attributes of the junction on a m2m".
    assert_rows(
        api.get(
            "/books?select=id,genres:book_genres(...genres(name))&id=eq.5&genres.order=genre_id"
        ),
        [{"id": 5, "genres": [{"name": "fantasy"}, {"name": "literary"}]}],
    )


@pytest.mark.parametrize(
    "path",
    [
        "/authors?select=name,...books(title)",
        "/genres?select=name,...books(title)",
        "/authors?select=id,...classic_books(title)",
    ],
)
def test_spread_of_a_to_many_needs_aggregates(api: Gateway, path: str) -> None:
    # v13: a to-many spread aggregates into arrays, so it is refused like aggregates
    # (SpreadQueriesSpec aggDisabledSpec); test_aggregates.py has the enabled side.
    assert_error(api.get(path), 400, "PGRST123", "Use of aggregate functions is not allowed")


# -- empty embeds ----------------------------------------------------------------------------


def test_empty_embed_filters_without_adding_a_key(api: Gateway) -> None:
    assert_rows(
        api.get("/authors?select=name,books!inner()&books.year=lt.1950"), [{"name": BORGES}]
    )


def test_empty_many_to_one_embed_with_inner_filter(api: Gateway) -> None:
    assert_rows(
        api.get("/books?select=title,authors!inner()&authors.country=eq.IT&order=id"),
        [{"title": CITIES}, {"title": WINTER}],
    )


def test_empty_embed_without_filter_changes_nothing(api: Gateway) -> None:
    assert_rows(
        api.get("/authors?select=id,books()&order=id"), [{"id": 1}, {"id": 2}, {"id": 3}, {"id": 4}]
    )

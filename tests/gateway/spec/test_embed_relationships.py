"""Resource embedding from foreign keys: each cardinality, views, set-returning functions,
aliases, `*`, several levels deep. Ported from PostgREST's QuerySpec.hs (embedding) and
EmbedDisambiguationSpec.hs; fixtures in fixtures/embed.sql.

To-many arrays are ordered explicitly (`rel.order=`): PostgREST leaves their order to
the database, so a spec that relied on heap order would pin an accident.
"""

from __future__ import annotations

from tests.gateway.conftest import Gateway
from tests.gateway.spec._http import assert_rows

URSULA = "Ursula K. Le Guin"
ITALO = "Italo Calvino"
BORGES = "Jorge Luis Borges"
WIZARD = "A Wizard of Earthsea"
DISPOSSESSED = "The Dispossessed"
CITIES = "Invisible Cities"
WINTER = "If on a winter's night a traveler"


def test_many_to_one_is_an_object(api: Gateway) -> None:
    assert_rows(
        api.get("/books?select=title,authors(name)&id=lte.3&order=id"),
        [
            {"title": WIZARD, "authors": {"name": URSULA}},
            {"title": DISPOSSESSED, "authors": {"name": URSULA}},
            {"title": CITIES, "authors": {"name": ITALO}},
        ],
    )


def test_many_to_one_with_a_null_foreign_key_is_null(api: Gateway) -> None:
    assert_rows(api.get("/books?select=id,authors(name)&id=eq.6"), [{"id": 6, "authors": None}])


def test_one_to_many_is_an_array_and_empty_when_nothing_matches(api: Gateway) -> None:
    assert_rows(
        api.get("/authors?select=name,books(title)&id=in.(2,4)&order=id&books.order=id"),
        [
            {"name": ITALO, "books": [{"title": CITIES}, {"title": WINTER}]},
            {"name": "Nobody Yet", "books": []},
        ],
    )


def test_one_to_one_is_an_object_from_the_referenced_side(api: Gateway) -> None:
    assert_rows(
        api.get("/authors?select=name,author_profiles(bio)&order=id"),
        [
            {"name": URSULA, "author_profiles": {"bio": "Wrote Earthsea"}},
            {"name": ITALO, "author_profiles": {"bio": "Member of the Oulipo"}},
            {"name": BORGES, "author_profiles": None},
            {"name": "Nobody Yet", "author_profiles": None},
        ],
    )


def test_one_to_one_is_an_object_from_the_referencing_side(api: Gateway) -> None:
    assert_rows(
        api.get("/author_profiles?select=bio,authors(name)&order=author_id"),
        [
            {"bio": "Wrote Earthsea", "authors": {"name": URSULA}},
            {"bio": "Member of the Oulipo", "authors": {"name": ITALO}},
        ],
    )


def test_many_to_many_through_a_junction_table(api: Gateway) -> None:
    assert_rows(
        api.get("/books?select=title,genres(name)&id=in.(1,5)&order=id&genres.order=id"),
        [
            {"title": WIZARD, "genres": [{"name": "fantasy"}]},
            {"title": "Ficciones", "genres": [{"name": "fantasy"}, {"name": "literary"}]},
        ],
    )


def test_many_to_many_from_the_other_side(api: Gateway) -> None:
    assert_rows(
        api.get("/genres?select=name,books(id)&order=id&books.order=id"),
        [
            {"name": "fantasy", "books": [{"id": 1}, {"id": 5}]},
            {"name": "scifi", "books": [{"id": 2}]},
            {"name": "literary", "books": [{"id": 3}, {"id": 4}, {"id": 5}]},
            {"name": "poetry", "books": []},
        ],
    )


def test_junction_table_embeds_both_sides(api: Gateway) -> None:
    assert_rows(
        api.get("/book_genres?select=books(title),genres(name)&book_id=eq.2"),
        [{"books": {"title": DISPOSSESSED}, "genres": {"name": "scifi"}}],
    )


def test_composite_foreign_key_many_to_one(api: Gateway) -> None:
    assert_rows(
        api.get("/shelf_books?select=id,shelves(label)&order=id"),
        [
            {"id": 1, "shelves": {"label": "fantasy wall"}},
            {"id": 2, "shelves": {"label": "fantasy wall"}},
            {"id": 3, "shelves": {"label": "archive"}},
        ],
    )


def test_composite_foreign_key_one_to_many(api: Gateway) -> None:
    assert_rows(
        api.get(
            "/shelves?select=label,shelf_books(book_id)&order=building,room&shelf_books.order=id"
        ),
        [
            {"label": "poetry corner", "shelf_books": []},
            {"label": "fantasy wall", "shelf_books": [{"book_id": 1}, {"book_id": 2}]},
            {"label": "archive", "shelf_books": [{"book_id": 5}]},
        ],
    )


def test_view_inherits_the_many_to_one_of_its_table(api: Gateway) -> None:
    # books_view renames author_id to writer_id; the relationship follows the column.
    assert_rows(
        api.get("/books_view?select=title,writer_id,authors(name)&id=in.(2,3)&order=id"),
        [
            {"title": DISPOSSESSED, "writer_id": 1, "authors": {"name": URSULA}},
            {"title": CITIES, "writer_id": 2, "authors": {"name": ITALO}},
        ],
    )


def test_table_embeds_a_view_one_to_many(api: Gateway) -> None:
    # Ficciones (1944) is filtered out by the view's own WHERE.
    assert_rows(
        api.get("/authors?select=name,books_view(title)&id=in.(2,3)&order=id&books_view.order=id"),
        [
            {"name": ITALO, "books_view": [{"title": CITIES}, {"title": WINTER}]},
            {"name": BORGES, "books_view": []},
        ],
    )


def test_view_embeds_a_many_to_many(api: Gateway) -> None:
    assert_rows(
        api.get("/books_view?select=id,genres(name)&id=eq.2"),
        [{"id": 2, "genres": [{"name": "scifi"}]}],
    )


def test_table_embeds_a_view_many_to_one(api: Gateway) -> None:
    assert_rows(
        api.get("/reviews?select=id,books_view(title)&id=eq.4"),
        [{"id": 4, "books_view": {"title": CITIES}}],
    )


def test_view_column_as_hint(api: Gateway) -> None:
    assert_rows(
        api.get("/books_view?select=id,writer:authors!writer_id(name)&id=eq.3"),
        [{"id": 3, "writer": {"name": ITALO}}],
    )


def test_set_returning_function_embeds_many_to_one(api: Gateway) -> None:
    assert_rows(
        api.get("/rpc/books_by_author?author=2&select=title,authors(name)&order=id"),
        [
            {"title": CITIES, "authors": {"name": ITALO}},
            {"title": WINTER, "authors": {"name": ITALO}},
        ],
    )


def test_set_returning_function_embeds_one_to_many(api: Gateway) -> None:
    assert_rows(
        api.get("/rpc/books_by_author?author=1&select=id,reviews(stars)&order=id&reviews.order=id"),
        [{"id": 1, "reviews": [{"stars": 5}, {"stars": 4}]}, {"id": 2, "reviews": [{"stars": 5}]}],
    )


def test_set_returning_function_embeds_with_post(api: Gateway) -> None:
    resp = api.post("/rpc/books_by_author?select=id,authors(country)&order=id", json={"author": 3})
    assert_rows(resp, [{"id": 5, "authors": {"country": "AR"}}])


def test_star_and_embedded_star(api: Gateway) -> None:
    assert_rows(
        api.get("/books?select=*,authors(*)&id=eq.5"),
        [
            {
                "id": 5,
                "title": "Ficciones",
                "author_id": 3,
                "year": 1944,
                "pages": 174,
                "authors": {"id": 3, "name": BORGES, "country": "AR"},
            }
        ],
    )


def test_embed_alias_and_aliased_columns_inside(api: Gateway) -> None:
    assert_rows(
        api.get("/books?select=book:title,writer:authors(full_name:name,country)&id=eq.3"),
        [{"book": CITIES, "writer": {"full_name": ITALO, "country": "IT"}}],
    )


def test_same_relationship_embedded_twice_under_aliases(api: Gateway) -> None:
    assert_rows(
        api.get("/books?select=id,a:authors(name),b:authors(country)&id=eq.1"),
        [{"id": 1, "a": {"name": URSULA}, "b": {"country": "US"}}],
    )


def test_embed_casts_inside(api: Gateway) -> None:
    assert_rows(
        api.get("/authors?select=id,books(year::text)&id=eq.3"),
        [{"id": 3, "books": [{"year": "1944"}]}],
    )


def test_three_levels_to_many(api: Gateway) -> None:
    resp = api.get(
        "/authors?select=name,books(title,reviews(stars))&id=eq.1"
        "&books.order=id&books.reviews.order=id"
    )
    assert_rows(
        resp,
        [
            {
                "name": URSULA,
                "books": [
                    {"title": WIZARD, "reviews": [{"stars": 5}, {"stars": 4}]},
                    {"title": DISPOSSESSED, "reviews": [{"stars": 5}]},
                ],
            }
        ],
    )


def test_four_levels_to_one(api: Gateway) -> None:
    assert_rows(
        api.get("/reviews?select=body,books(title,authors(name,author_profiles(bio)))&id=eq.4"),
        [
            {
                "body": "odd",
                "books": {
                    "title": CITIES,
                    "authors": {"name": ITALO, "author_profiles": {"bio": "Member of the Oulipo"}},
                },
            }
        ],
    )


def test_embed_with_exact_count_counts_parents(api: Gateway) -> None:
    resp = api.get(
        "/authors?select=id,books(id)&id=lte.2&order=id&books.order=id",
        headers={"Prefer": "count=exact"},
    )
    assert_rows(
        resp,
        [{"id": 1, "books": [{"id": 1}, {"id": 2}]}, {"id": 2, "books": [{"id": 3}, {"id": 4}]}],
        "0-1/2",
    )

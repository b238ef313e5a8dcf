"""Computed relationships: functions taking a row of the parent (`best_review(books)
ROWS 1` is to-one, `classic_books(authors)` to-many), embedded like foreign keys.
Ported from PostgREST's ComputedRelsSpec.hs; fixtures in fixtures/embed.sql.
"""

from __future__ import annotations

from tests.gateway.conftest import Gateway
from tests.gateway.spec._http import assert_error, assert_rows

URSULA = "Ursula K. Le Guin"
BORGES = "Jorge Luis Borges"


def test_to_one_computed_relationship_is_an_object(api: Gateway) -> None:
    assert_rows(
        api.get("/books?select=id,best_review(stars,body)&id=in.(1,4)&order=id"),
        [
            {"id": 1, "best_review": {"stars": 5, "body": "a classic"}},
            {"id": 4, "best_review": None},
        ],
    )


def test_to_many_computed_relationship_is_an_array(api: Gateway) -> None:
    assert_rows(
        api.get("/authors?select=id,classic_books(title)&order=id"),
        [
            {"id": 1, "classic_books": [{"title": "A Wizard of Earthsea"}]},
            {"id": 2, "classic_books": []},
            {"id": 3, "classic_books": [{"title": "Ficciones"}]},
            {"id": 4, "classic_books": []},
        ],
    )


def test_computed_relationship_with_inner_and_filter(api: Gateway) -> None:
    assert_rows(
        api.get("/authors?select=name,classic_books!inner(year)&classic_books.year=lt.1950"),
        [{"name": BORGES, "classic_books": [{"year": 1944}]}],
    )


def test_computed_relationship_inside_an_embed(api: Gateway) -> None:
    resp = api.get("/authors?select=id,books(id,best_review(body))&id=eq.2&books.order=id")
    assert_rows(
        resp,
        [
            {
                "id": 2,
                "books": [
                    {"id": 3, "best_review": {"body": "odd"}},
                    {"id": 4, "best_review": None},
                ],
            }
        ],
    )


def test_computed_relationship_embeds_further(api: Gateway) -> None:
    assert_rows(
        api.get(
            "/authors?select=name,classic_books(title,reviews(stars))&id=eq.1&classic_books.reviews.order=id"
        ),
        [
            {
                "name": URSULA,
                "classic_books": [
                    {"title": "A Wizard of Earthsea", "reviews": [{"stars": 5}, {"stars": 4}]}
                ],
            }
        ],
    )


def test_spread_a_to_one_computed_relationship(api: Gateway) -> None:
    assert_rows(
        api.get("/books?select=title,...best_review(stars)&id=eq.2"),
        [{"title": "The Dispossessed", "stars": 5}],
    )


def test_is_null_on_a_computed_relationship(api: Gateway) -> None:
    assert_rows(
        api.get("/books?select=id,best_review()&best_review=is.null&order=id"),
        [{"id": 4}, {"id": 6}],
    )


def test_order_parent_by_a_to_one_computed_relationship(api: Gateway) -> None:
    resp = api.get(
        "/books?select=id,best_review(stars)&best_review=not.is.null&order=best_review(stars),id"
    )
    assert_rows(
        resp,
        [
            {"id": 3, "best_review": {"stars": 3}},
            {"id": 1, "best_review": {"stars": 5}},
            {"id": 2, "best_review": {"stars": 5}},
            {"id": 5, "best_review": {"stars": 5}},
        ],
    )


def test_order_parent_by_a_to_many_computed_relationship_is_rejected(api: Gateway) -> None:
    assert_error(
        api.get("/authors?select=id,classic_books(id)&order=classic_books(id)"),
        400,
        "PGRST118",
        "A related order on 'classic_books' is not possible",
        "'authors' and 'classic_books' do not form a many-to-one or one-to-one relationship",
    )

"""Choosing a relationship: hints `rel!fk_name`, `rel!column`, `rel!junction`; 300 PGRST201
when several relationships fit (with the candidates) and 400 PGRST200 when none does.
Ported from PostgREST's EmbedDisambiguationSpec.hs and Error.hs (compressedRel,
relHint, noRelBetweenHint); fixtures in fixtures/embed.sql (people/messages).
"""

from __future__ import annotations

from typing import Any

import requests

from tests.gateway.conftest import Gateway
from tests.gateway.spec._http import JSON_CT, assert_error, assert_rows, body_json


def assert_ambiguous(
    resp: requests.Response, parent: str, child: str, candidates: list[dict[str, str]]
) -> None:
    """300 PGRST201. PostgREST lists the candidates in schema-cache order, which is not
    specified: the details are compared as a set, and the hint must name them in the
    same order as the details (relHint and compressedRel walk the same list)."""
    assert resp.status_code == 300, resp.text
    assert resp.headers["Content-Type"] == JSON_CT
    body: dict[str, Any] = body_json(resp)
    assert set(body) == {"code", "message", "details", "hint"}, body
    assert body["code"] == "PGRST201"
    assert body["message"] == (
        f"Could not embed because more than one relationship was found for '{parent}' and '{child}'"
    )
    details: list[dict[str, str]] = body["details"]
    key = sorted(candidates, key=lambda c: c["relationship"])
    assert sorted(details, key=lambda c: c["relationship"]) == key, details
    names = ", ".join(f"'{child}!{d['relationship'].split(' ')[0]}'" for d in details)
    assert body["hint"] == (
        f"Try changing '{child}' to one of the following: {names}. "
        "Find the desired relationship in the 'details' key."
    )


def test_two_many_to_one_to_the_same_table_are_ambiguous(api: Gateway) -> None:
    assert_ambiguous(
        api.get("/messages?select=body,people(name)"),
        "messages",
        "people",
        [
            {
                "cardinality": "many-to-one",
                "embedding": "messages with people",
                "relationship": "messages_sender_fkey using messages(sender_id) and people(id)",
            },
            {
                "cardinality": "many-to-one",
                "embedding": "messages with people",
                "relationship": (
                    "messages_recipient_fkey using messages(recipient_id) and people(id)"
                ),
            },
        ],
    )


def test_two_one_to_many_from_the_same_table_are_ambiguous(api: Gateway) -> None:
    assert_ambiguous(
        api.get("/people?select=name,messages(body)"),
        "people",
        "messages",
        [
            {
                "cardinality": "one-to-many",
                "embedding": "people with messages",
                "relationship": "messages_sender_fkey using people(id) and messages(sender_id)",
            },
            {
                "cardinality": "one-to-many",
                "embedding": "people with messages",
                "relationship": (
                    "messages_recipient_fkey using people(id) and messages(recipient_id)"
                ),
            },
        ],
    )


def test_ambiguity_is_reported_even_under_an_alias(api: Gateway) -> None:
    resp = api.get("/messages?select=body,who:people(name)")
    assert resp.status_code == 300, resp.text
    assert body_json(resp)["code"] == "PGRST201"


def test_hint_by_foreign_key_name(api: Gateway) -> None:
    resp = api.get(
        "/messages?select=body,sender:people!messages_sender_fkey(name),"
        "recipient:people!messages_recipient_fkey(name)&order=id"
    )
    assert_rows(
        resp,
        [
            {"body": "hi Bob", "sender": {"name": "Ann"}, "recipient": {"name": "Bob"}},
            {"body": "hi Ann", "sender": {"name": "Bob"}, "recipient": {"name": "Ann"}},
            {"body": "hey Cid", "sender": {"name": "Ann"}, "recipient": {"name": "Cid"}},
        ],
    )


def test_hint_by_column(api: Gateway) -> None:
    resp = api.get(
        "/messages?select=id,from:people!sender_id(name),to:people!recipient_id(name)&id=eq.3"
    )
    assert_rows(resp, [{"id": 3, "from": {"name": "Ann"}, "to": {"name": "Cid"}}])


def test_hint_by_foreign_key_name_one_to_many(api: Gateway) -> None:
    resp = api.get(
        "/people?select=name,sent:messages!messages_sender_fkey(body),"
        "received:messages!messages_recipient_fkey(body)&id=eq.1"
        "&sent.order=id&received.order=id"
    )
    assert_rows(
        resp,
        [
            {
                "name": "Ann",
                "sent": [{"body": "hi Bob"}, {"body": "hey Cid"}],
                "received": [{"body": "hi Ann"}],
            }
        ],
    )


def test_hint_with_inner_join(api: Gateway) -> None:
    resp = api.get(
        "/messages?select=id,people!messages_recipient_fkey!inner(name)&people.name=eq.Cid"
    )
    assert_rows(resp, [{"id": 3, "people": {"name": "Cid"}}])


def test_hint_by_junction_table_for_many_to_many(api: Gateway) -> None:
    assert_rows(
        api.get("/books?select=id,genres!book_genres(name)&id=eq.2"),
        [{"id": 2, "genres": [{"name": "scifi"}]}],
    )


def test_hint_by_composite_foreign_key_name(api: Gateway) -> None:
    assert_rows(
        api.get("/shelf_books?select=id,shelves!shelf_books_shelf_fkey(label)&id=eq.3"),
        [{"id": 3, "shelves": {"label": "archive"}}],
    )


def test_hint_that_matches_nothing(api: Gateway) -> None:
    assert_error(
        api.get("/messages?select=body,people!no_such_fkey(name)"),
        400,
        "PGRST200",
        "Could not find a relationship between 'messages' and 'people' in the schema cache",
        "Searched for a foreign key relationship between 'messages' and 'people' using the"
        " hint 'no_such_fkey' in the schema 'test', but no matches were found.",
    )


def test_no_relationship_between_two_tables(api: Gateway) -> None:
    assert_error(
        api.get("/books?select=title,people(name)"),
        400,
        "PGRST200",
        "Could not find a relationship between 'books' and 'people' in the schema cache",
        "Searched for a foreign key relationship between 'books' and 'people'"
        " in the schema 'test', but no matches were found.",
    )


def test_no_relationship_one_level_down(api: Gateway) -> None:
    assert_error(
        api.get("/authors?select=name,books(title,people(name))"),
        400,
        "PGRST200",
        "Could not find a relationship between 'books' and 'people' in the schema cache",
        "Searched for a foreign key relationship between 'books' and 'people'"
        " in the schema 'test', but no matches were found.",
    )


def test_embedding_an_unknown_table(api: Gateway) -> None:
    assert_error(
        api.get("/books?select=title,zqxj_unknown(name)"),
        400,
        "PGRST200",
        "Could not find a relationship between 'books' and 'zqxj_unknown' in the schema cache",
        "Searched for a foreign key relationship between 'books' and 'zqxj_unknown'"
        " in the schema 'test', but no matches were found.",
    )

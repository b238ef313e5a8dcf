"""The Prefer header on reads (RFC 7240 as PostgREST parses it, Preferences.hs): values
split on commas, unknown ones ignored unless handling=strict (PGRST122), and the
applied ones echoed in Preference-Applied (count, handling, timezone on reads).
"""

from __future__ import annotations

import httpx

from tests.gateway.conftest import Gateway
from tests.gateway.spec._http import assert_error, assert_json, assert_rows, ids


def test_several_preferences_in_one_header(api: Gateway) -> None:
    resp = api.get(
        "/items?id=lte.2&order=id", headers={"Prefer": "count=exact,   handling=lenient , foo"}
    )
    assert_json(resp, 200, ids(1, 2), content_range="0-1/2")
    assert resp.headers["Preference-Applied"] == "count=exact, handling=lenient"


def test_several_prefer_headers(api: Gateway) -> None:
    # requests folds duplicate header names; httpx sends each one.
    resp = httpx.get(
        api.url + "/items?id=lte.2&order=id",
        headers=[("Prefer", "count=exact"), ("Prefer", "handling=lenient")],
    )
    assert resp.status_code == 200
    assert resp.headers["Content-Range"] == "0-1/2"
    assert resp.headers["Preference-Applied"] == "count=exact, handling=lenient"
    assert resp.json() == ids(1, 2)


def test_first_occurrence_wins(api: Gateway) -> None:
    resp = api.get("/items?id=lte.2&order=id", headers={"Prefer": "count=planned, count=exact"})
    assert resp.headers["Preference-Applied"] == "count=planned"


def test_unknown_preferences_are_ignored_by_default(api: Gateway) -> None:
    resp = api.get("/items?id=eq.1", headers={"Prefer": "foo, bar=baz"})
    assert_rows(resp, ids(1))
    assert "Preference-Applied" not in resp.headers


def test_unknown_preferences_with_strict_handling_are_400(api: Gateway) -> None:
    assert_error(
        api.get("/items", headers={"Prefer": "handling=strict, foo, bar"}),
        400,
        "PGRST122",
        "Invalid preferences given with handling=strict",
        "Invalid preferences: foo, bar",
    )


def test_strict_handling_with_valid_preferences(api: Gateway) -> None:
    resp = api.get("/items?id=eq.1", headers={"Prefer": "handling=strict, count=exact"})
    assert_json(resp, 200, ids(1), content_range="0-0/1")
    assert resp.headers["Preference-Applied"] == "count=exact, handling=strict"


def test_rfc7240_parameters_are_not_split_out(api: Gateway) -> None:
    # Only commas separate preferences: "count=exact; x" is one unknown token, so no count.
    resp = api.get("/items?id=eq.1", headers={"Prefer": "count=exact; drop table test.canary"})
    assert_rows(resp, ids(1), "0-0/*")


def test_timezone_preference(api: Gateway) -> None:
    resp = api.get("/events_tz", headers={"Prefer": "timezone=America/Los_Angeles"})
    assert_rows(resp, [{"id": 1, "at": "2024-01-01T04:00:00-08:00"}])
    assert resp.headers["Preference-Applied"] == "timezone=America/Los_Angeles"


def test_default_timezone_is_the_database_one(api: Gateway) -> None:
    assert_rows(api.get("/events_tz"), [{"id": 1, "at": "2024-01-01T12:00:00+00:00"}])


def test_unknown_timezone_is_ignored(api: Gateway) -> None:
    resp = api.get("/events_tz", headers={"Prefer": "timezone=Nowhere/Atlantis"})
    assert_rows(resp, [{"id": 1, "at": "2024-01-01T12:00:00+00:00"}])
    assert "Preference-Applied" not in resp.headers


def test_unknown_timezone_with_strict_handling_is_400(api: Gateway) -> None:
    assert_error(
        api.get("/events_tz", headers={"Prefer": "handling=strict, timezone=Nowhere/Atlantis"}),
        400,
        "PGRST122",
        "Invalid preferences given with handling=strict",
        "Invalid preferences: timezone=Nowhere/Atlantis",
    )


def test_timezone_does_not_leak_into_the_next_request(api: Gateway) -> None:
    api.get("/events_tz", headers={"Prefer": "timezone=Asia/Tokyo"})
    assert_rows(api.get("/events_tz"), [{"id": 1, "at": "2024-01-01T12:00:00+00:00"}])

"""Media-type negotiation (gateway/media.py) and its plan and SQL, without a database."""

from __future__ import annotations

from dataclasses import replace

import pytest

from gateway import query
from gateway.errors import ApiError
from gateway.media import ANY_ELEMENT, HandlerMap, MediaHandler, handler_map, negotiate
from gateway.plan import ActionPlan, plan
from gateway.request import build, parse_accept
from gateway.schema_cache import SchemaCache

from .conftest import make_cache

BUILTINS = {
    "application/json": "json",
    "application/vnd.pgrst.object+json": "object",
    "text/csv": "csv",
    "application/geo+json": "geojson",
    "*/*": "json",
}
ITEMS = ("api", "items")
TWKB = MediaHandler("application/vnd.twkb", "api", "twkb_agg", binary=True)
ANY_AGG = MediaHandler("application/octet-stream", "api", "any_agg", binary=True)
TSV = MediaHandler("text/tab-separated-values", "api", "tsv_agg")
CSV = MediaHandler("text/csv", "api", "bom_csv_agg")
HANDLERS: HandlerMap = {
    (ITEMS, "application/vnd.twkb"): TWKB,
    (ITEMS, "text/csv"): CSV,
    (ANY_ELEMENT, "text/tab-separated-values"): TSV,
}


def _negotiate(accept: str, handlers: HandlerMap = HANDLERS, default_select: bool = True) -> object:
    found = negotiate(
        parse_accept(accept),
        BUILTINS,
        "json",
        handlers=handlers,
        target=ITEMS,
        default_select=default_select,
    )
    return found.handler or found.media


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("application/vnd.twkb", TWKB),
        ("text/csv", CSV),  # the table's own handler overrides the builtin
        ("text/tab-separated-values", TSV),
        ("application/json;q=0.4, application/vnd.twkb", TWKB),
        ("application/json, application/vnd.twkb;q=0.4", "json"),
        ("*/*", "json"),
        ("image/png, */*;q=0.1", "json"),
        ("application/vnd.pgrst.object+json", "object"),
        ("application/geo+json", "geojson"),
    ],
)
def test_negotiation_order(accept: str, expected: object) -> None:
    assert _negotiate(accept) == expected


def test_own_handlers_need_the_default_select() -> None:
    with pytest.raises(ApiError) as err:
        _negotiate("application/vnd.twkb", default_select=False)
    assert (err.value.status, err.value.code) == (406, "PGRST107")
    assert _negotiate("text/csv", default_select=False) == "csv"
    assert _negotiate("text/tab-separated-values", default_select=False) == TSV


def test_the_any_handler_answers_everything_but_vendor_types() -> None:
    handlers: HandlerMap = {**HANDLERS, (ITEMS, "*/*"): ANY_AGG}
    for accept in ("*/*", "application/json", "image/png", "text/csv"):
        assert _negotiate(accept, handlers) == ANY_AGG
    assert _negotiate("application/vnd.pgrst.object+json", handlers) == "object"


def test_nothing_matching_is_406_naming_every_type() -> None:
    with pytest.raises(ApiError) as err:
        _negotiate("image/png, text/plain;q=0.2")
    assert err.value.message == "None of these media types are available: image/png, text/plain"


def test_content_types() -> None:
    assert TWKB.content_type == b"application/vnd.twkb"
    assert CSV.content_type == b"text/csv; charset=utf-8"
    assert ANY_AGG.content_type == b"application/octet-stream"


def test_handler_rows_from_the_catalog() -> None:
    rows = [
        ("api", "twkb_agg", "api", "items", "application/vnd.twkb", "application/vnd.twkb",
         True, True),
        ("api", "tsv_agg", "pg_catalog", "anyelement", "text/tab-separated-values",
         "text/tab-separated-values", False, True),
        ("api", "*/*", "api", "ret_any", "*/*", "application/octet-stream", True, False),
    ]  # fmt: skip
    found = handler_map(rows)
    assert found[(ITEMS, "application/vnd.twkb")] == TWKB
    assert found[(ANY_ELEMENT, "text/tab-separated-values")] == TSV
    assert found[(("api", "ret_any"), "*/*")] == MediaHandler(
        "application/octet-stream", "api", "*/*", binary=True, aggregate=False
    )


def _cache(postgis: bool = True) -> SchemaCache:
    return replace(make_cache(), media_handlers=HANDLERS, postgis=postgis)


def _plan(qs: bytes, accept: str, cache: SchemaCache, method: str = "GET") -> ActionPlan:
    req = build(method, "/items", qs, {"accept": accept}, [], b"", ("api",))
    return plan(req, cache)


def test_a_handler_aggregate_is_given_rows_of_the_table_type() -> None:
    action = _plan(b"", "application/vnd.twkb", _cache())
    sql = query.build(action).sql
    assert '"api"."twkb_agg"(_postgrest_t::"api"."items")' in sql
    assert "coalesce((" in sql and "::bytea" in sql


def test_an_anyelement_aggregate_is_given_the_selected_columns() -> None:
    action = _plan(b"select=id", "text/tab-separated-values", _cache())
    sql = query.build(action).sql
    assert '"api"."tsv_agg"(_postgrest_t)' in sql
    assert "convert_to(coalesce((" in sql


def test_geojson_without_postgis_is_postgresqls_404() -> None:
    with pytest.raises(ApiError) as err:
        _plan(b"", "application/geo+json", _cache(postgis=False))
    assert (err.value.status, err.value.code) == (404, "42883")
    # HEAD runs no aggregate, as PostgREST (#2849)
    _plan(b"", "application/geo+json", _cache(postgis=False), method="HEAD")


def test_geojson_sql() -> None:
    action = _plan(b"", "application/geo+json", _cache())
    sql = query.build(action).sql
    assert "json_agg(ST_AsGeoJSON(_postgrest_t)::json)" in sql

"""application/geo+json (PostgREST's PostGISSpec): a FeatureCollection of ST_AsGeoJSON rows.

PostGIS comes with the test toolchain (taproot/system_deps.py) and fixtures/media.sql
creates it with `test.shops`; the specs that need it skip, saying why, on a machine
without it. Without PostGIS PostgREST runs its statement and PostgreSQL answers 404 42883
"function st_asgeojson(record) does not exist"; the gateway gives that same answer
without running anything (the schema cache knows), checked on a database of its own.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from taproot.database import Database
from tests.gateway.conftest import Gateway, GatewayFactory, socket_url
from tests.gateway.spec._http import assert_error, assert_json

GEO = {"Accept": "application/geo+json"}
GEO_CT = "application/geo+json; charset=utf-8"
NO_GIS = "gateway_spec_nogis"


@pytest.fixture(scope="module")
def postgis(spec_db: Database) -> None:
    with spec_db.connect() as conn:
        found = conn.execute("SELECT 1 FROM pg_extension WHERE extname = 'postgis'").fetchone()
    # the test command installs PostGIS (taproot/system_deps.py): its absence is a failure,
    # never a silent skip of geo+json
    assert found is not None, "PostGIS is not installed (postgresql-15-postgis-3)"


def _feature(fid: int, address: str, lon: float, lat: float) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": {"id": fid, "address": address},
    }


SHOP_1 = _feature(1, "1369 Cambridge St", -71.10044, 42.373695)
SHOP_2 = _feature(2, "757 Massachusetts Ave", -71.10543, 42.366432)
SHOP_3 = _feature(3, "605 W Kendall St", -71.081924, 42.3651)


def test_a_table_as_a_feature_collection(api: Gateway, postgis: None) -> None:
    assert_json(
        api.get("/shops?order=id", headers=GEO),
        200,
        {"type": "FeatureCollection", "features": [SHOP_1, SHOP_2, SHOP_3]},
        content_type=GEO_CT,
        content_range="0-2/*",
    )


def test_filters_and_selects_shape_the_features(api: Gateway, postgis: None) -> None:
    assert_json(
        api.get("/shops?select=id,shop_geom&id=eq.2", headers=GEO),
        200,
        {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [-71.10543, 42.366432]},
                    "properties": {"id": 2},
                }
            ],
        },
        content_type=GEO_CT,
    )


def test_no_rows_is_an_empty_collection(api: Gateway, postgis: None) -> None:
    assert_json(
        api.get("/shops?id=eq.99", headers=GEO),
        200,
        {"type": "FeatureCollection", "features": []},
        content_type=GEO_CT,
    )


def test_a_table_without_geometry(api: Gateway, postgis: None) -> None:
    # ST_AsGeoJSON's own error, 22023 → 400 in PostgREST's table
    assert_error(api.get("/items?id=eq.1", headers=GEO), 400, "22023", "geometry column is missing")


def test_q_values_choose_between_json_and_geojson(api: Gateway, postgis: None) -> None:
    both = "application/json;q=0.5, application/geo+json"
    resp = api.get("/shops?select=id,shop_geom&id=eq.1", headers={"Accept": both})
    assert (resp.status_code, resp.headers["Content-Type"]) == (200, GEO_CT)
    resp = api.get(
        "/shops?select=id&id=eq.1", headers={"Accept": "application/geo+json;q=0.5, */*"}
    )
    assert_json(resp, 200, [{"id": 1}])


@pytest.fixture(scope="module")
def no_gis(pg_server: Database, start_gateway: GatewayFactory) -> Iterator[Gateway]:
    """A gateway on a database without PostGIS (the roles of fixtures/roles.sql exist)."""
    pg_server.drop(NO_GIS)
    pg_server.create(NO_GIS)
    db = pg_server.with_name(NO_GIS)
    with db.connect() as conn:
        conn.execute(
            "CREATE SCHEMA test;"
            " CREATE TABLE test.places (id integer PRIMARY KEY, name text);"
            " INSERT INTO test.places VALUES (1, 'here');"
            " GRANT USAGE ON SCHEMA test TO gw_anon;"
            " GRANT SELECT ON test.places TO gw_anon;"
        )
    yield start_gateway(
        PGRST_DB_URI=socket_url(db, user="gw_authenticator", dbname=NO_GIS),
        PGRST_DB_SCHEMAS="test",
    )
    pg_server.drop(NO_GIS)


def test_without_postgis_the_answer_is_postgresqls_404(no_gis: Gateway) -> None:
    time.sleep(1.2)  # past the age at which a 42883 from PostgreSQL would reload the cache
    assert_error(
        no_gis.get("/places", headers=GEO),
        404,
        "42883",
        "function st_asgeojson(record) does not exist",
        None,
        "No function matches the given name and argument types. "
        "You might need to add explicit type casts.",
    )
    # the other media types are unaffected
    assert_json(no_gis.get("/places"), 200, [{"id": 1, "name": "here"}])
    # the planner's 42883 comes from the schema cache: it does not reload it
    age = no_gis.get("/health").json()["schema_cache"]["age_seconds"]
    assert age >= 1.2, age

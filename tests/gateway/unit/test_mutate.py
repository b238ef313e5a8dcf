"""Writes: planning (payload keys, PUT rules) and the generated SQL."""

from __future__ import annotations

import pytest

from gateway import query
from gateway.errors import ApiError
from gateway.plan import ActionPlan, plan
from gateway.request import build
from gateway.schema_cache import SchemaCache


def write(
    cache: SchemaCache, method: str, path: str, body: bytes, qs: str = "", *, prefer: str = ""
) -> ActionPlan:
    req = build(method, path, qs.encode(), {}, [prefer] if prefer else [], body, cache.schemas)
    return plan(req, cache)


def code(cache: SchemaCache, method: str, path: str, body: bytes, qs: str = "") -> str:
    with pytest.raises(ApiError) as exc:
        write(cache, method, path, body, qs)
    return exc.value.code


def test_insert_uses_the_payload_keys(cache: SchemaCache) -> None:
    action = write(
        cache,
        "POST",
        "/items",
        b'[{"id": 1, "name": "a"}, {"id": 2, "name": "b"}]',
        prefer="return=representation",
    )
    assert action.mutate is not None
    assert [c.name for c in action.mutate.columns] == ["id", "name"]
    st = query.build(action)
    assert 'INSERT INTO "api"."items" AS "items" ("id", "name") SELECT pgrst_body."id"' in st.sql
    assert "json_to_recordset" in st.sql and '"id" bigint, "name" text' in st.sql
    assert st.params[0].startswith("[{")
    assert "json_agg" in st.sql  # representation builds the body


def test_insert_errors(cache: SchemaCache) -> None:
    assert code(cache, "POST", "/items", b'{"nope": 1}') == "PGRST204"
    assert code(cache, "POST", "/items", b'[{"id": 1}, {"name": "x"}]') == "PGRST102"
    assert code(cache, "POST", "/items", b"") == "PGRST102"
    assert code(cache, "PATCH", "/items", b"[1]") == "PGRST102"


def test_upserts(cache: SchemaCache) -> None:
    merge = write(
        cache, "POST", "/items", b'{"id": 1, "name": "a"}', prefer="resolution=merge-duplicates"
    )
    sql = query.build(merge).sql
    assert 'ON CONFLICT ("id") DO UPDATE SET "id" = EXCLUDED."id", "name" = EXCLUDED."name"' in sql
    assert "(xmax = 0) AS pgrst_inserted" in sql
    ignore = write(
        cache,
        "POST",
        "/items",
        b'{"id": 1}',
        qs="on_conflict=name",
        prefer="resolution=ignore-duplicates",
    )
    assert 'ON CONFLICT ("name") DO NOTHING' in query.build(ignore).sql


def test_update_and_delete_use_filters(cache: SchemaCache) -> None:
    upd = query.build(write(cache, "PATCH", "/items", b'{"name": "x"}', qs="id=eq.3"))
    assert (
        'UPDATE "api"."items" AS "items" SET "name" = pgrst_body."name" FROM pgrst_body WHERE'
        in upd.sql
    )
    assert upd.params[-1] == "3"
    dele = query.build(write(cache, "DELETE", "/items", b"", qs="id=in.(1,2)"))
    assert 'DELETE FROM "api"."items" AS "items" WHERE "items"."id" = ANY(' in dele.sql
    noop = query.build(write(cache, "PATCH", "/items", b"{}"))
    assert "WHERE false" in noop.sql
    assert code(cache, "DELETE", "/item_names", b"", qs="limit=1") == "PGRST127"  # a view
    limited = query.build(write(cache, "DELETE", "/items", b"", qs="order=id&limit=2"))
    assert (
        '"items".ctid = ANY(ARRAY(SELECT "items".ctid FROM "api"."items" AS "items"' in limited.sql
    )
    assert 'ORDER BY "items"."id" LIMIT $1::bigint' in limited.sql


def test_put_is_a_single_row_upsert_by_primary_key(cache: SchemaCache) -> None:
    put = write(cache, "PUT", "/items", b'{"id": 4, "name": "d"}', qs="id=eq.4")
    assert put.mutate is not None and put.mutate.kind == "upsert"
    assert 'ON CONFLICT ("id") DO UPDATE' in query.build(put).sql
    assert code(cache, "PUT", "/items", b'{"id": 5}', qs="id=eq.4") == "PGRST115"
    assert code(cache, "PUT", "/items", b'{"id": 4}', qs="name=eq.4") == "PGRST105"
    assert code(cache, "PUT", "/items", b'{"id": 4}', qs="id=gt.4") == "PGRST105"
    assert code(cache, "PUT", "/items", b'{"id": 4}', qs="id=eq.4&limit=1") == "PGRST114"


def test_headers_only_returns_the_primary_key_for_location(cache: SchemaCache) -> None:
    st = query.build(write(cache, "POST", "/items", b'{"name": "n"}', prefer="return=headers-only"))
    assert 'json_build_object($2::text, pgrst_write."id")' in st.sql
    assert st.params[1] == "id"


def test_hostile_payload_keys_are_not_sql(cache: SchemaCache) -> None:
    assert code(cache, "POST", "/items", b'{"id; drop table x": 1}') == "PGRST204"

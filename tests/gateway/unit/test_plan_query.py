"""Planner and SQL builder: names resolve through the cache, values are parameters."""

from __future__ import annotations

import pytest

from gateway import query
from gateway.errors import ApiError
from gateway.plan import ActionPlan, plan
from gateway.request import build
from gateway.schema_cache import SchemaCache


def planned(  # noqa: PLR0917 - mirrors an HTTP request
    cache: SchemaCache,
    method: str,
    path: str,
    qs: str = "",
    headers: dict[str, str] | None = None,
    body: bytes = b"",
    max_rows: int | None = None,
) -> ActionPlan:
    req = build(
        method,
        path,
        qs.encode(),
        headers or {},
        [headers.get("prefer", "")] if headers and "prefer" in headers else [],
        body,
        cache.schemas,
    )
    return plan(req, cache, max_rows)


def sql(cache: SchemaCache, path: str, qs: str = "", **kw: object) -> query.Statement:
    return query.build(planned(cache, "GET", path, qs, **kw))  # type: ignore[arg-type]


def test_simple_read(cache: SchemaCache) -> None:
    st = sql(cache, "/items", "select=id,name&id=gt.1&order=name.desc.nullslast&limit=5")
    assert '"items"."id" > $1::text::bigint' in st.sql
    assert 'ORDER BY "items"."name" DESC NULLS LAST' in st.sql
    assert "LIMIT $2::bigint" in st.sql
    assert st.params == ["1", 5]
    assert "json_agg(_postgrest_t)" in st.sql


def test_every_value_is_a_parameter(cache: SchemaCache) -> None:
    hostile = "x'); drop table t; --"
    encoded = hostile.replace(";", "%3B")
    st = sql(
        cache,
        "/items",
        f'name=eq.{encoded}&or=(name.like."*{encoded}*",id.in.(1,2))&select=data->>k',
    )
    assert "drop table" not in st.sql
    assert hostile in st.params
    assert ["1", "2"] in st.params


def test_aliases_and_json_keys_are_parameters_too(cache: SchemaCache) -> None:
    st = sql(cache, "/items", 'select=x:id,data->>"a%3B drop table t"')
    assert "drop table" not in st.sql
    assert "json_build_object($1::text" in st.sql
    assert st.params[:2] == ["x", "data"] or "x" in st.params


def test_operators(cache: SchemaCache) -> None:
    st = sql(
        cache,
        "/items",
        "name=ilike.*a*&tags=cs.{a}&span=adj.(1,2)&doc=fts(english).cat"
        "&name=not.is.null&id=isdistinct.3&name=match(any).{^a,b$}",
    )
    s = st.sql
    assert '"name" ilike $1::text' in s and "%a%" in st.params
    assert '"tags" @> $2::text::text[]' in s
    assert '"span" -|- $3::text::int4range' in s
    assert '"doc" @@ to_tsquery($4::regconfig, $5::text)' in s
    assert 'NOT "items"."name" IS NULL' in s
    assert "IS DISTINCT FROM" in s
    assert "~ ANY($7::text::text[])" in s


def test_fts_on_text_wraps_to_tsvector(cache: SchemaCache) -> None:
    st = sql(cache, "/items", "name=plfts.cat")
    assert 'to_tsvector("items"."name") @@ plainto_tsquery($1::text)' in st.sql


def test_empty_in_list(cache: SchemaCache) -> None:
    assert "= ANY('{}')" in sql(cache, "/items", "id=in.()").sql


def test_json_paths_on_non_json_columns_use_to_jsonb(cache: SchemaCache) -> None:
    st = sql(cache, "/items", "name->>x=eq.1&data->a=eq.2")
    assert 'to_jsonb("items"."name")->>$1::text = $2::text' in st.sql
    assert '"data"->$3::text = $4::text::jsonb' in st.sql


def test_unknown_column_table_and_cast(cache: SchemaCache) -> None:
    with pytest.raises(ApiError) as exc:
        sql(cache, "/items", "select=nope")
    assert (exc.value.code, exc.value.message) == ("42703", "column items.nope does not exist")
    with pytest.raises(ApiError) as exc:
        sql(cache, "/itemz")
    assert exc.value.code == "PGRST205"
    assert exc.value.hint == "Perhaps you meant the table 'api.items'"
    with pytest.raises(ApiError) as exc:
        sql(cache, "/items", "select=id::evil_type")
    assert exc.value.code == "42704"


def test_counts_and_max_rows(cache: SchemaCache) -> None:
    p = planned(cache, "GET", "/items", headers={"prefer": "count=exact"}, max_rows=10)
    st = query.build(p)
    assert "(SELECT pg_catalog.count(*) FROM" in st.sql
    assert p.read is not None and p.read.range.limit == 10
    planned_p = planned(
        cache, "GET", "/items", "select=data->>k&id=eq.1", headers={"prefer": "count=planned"}
    )
    st2 = query.build(planned_p)
    assert st2.count_sql is not None and st2.count_params == ["1"]
    assert "NULL::bigint AS total" in st2.sql


def test_media_negotiation(cache: SchemaCache) -> None:
    assert planned(cache, "GET", "/items", headers={"accept": "text/csv"}).media == "csv"
    obj = planned(
        cache,
        "GET",
        "/items",
        headers={"accept": "application/vnd.pgrst.object+json;nulls=stripped"},
    )
    assert (obj.media, obj.nulls_stripped) == ("object", True)
    with pytest.raises(ApiError) as exc:
        planned(cache, "GET", "/items", headers={"accept": "text/html"})
    assert (exc.value.status, exc.value.code) == (406, "PGRST107")
    assert (
        "convert_to"
        in query.build(planned(cache, "GET", "/items", headers={"accept": "text/csv"})).sql
    )


def test_head_builds_no_body(cache: SchemaCache) -> None:
    st = query.build(planned(cache, "HEAD", "/items"))
    assert "NULL::bytea AS body" in st.sql


def test_options_allow(cache: SchemaCache) -> None:
    assert planned(cache, "OPTIONS", "/items").allow == "OPTIONS,GET,HEAD,POST,PUT,PATCH,DELETE"
    assert planned(cache, "OPTIONS", "/item_names").allow == "OPTIONS,GET,HEAD"
    assert planned(cache, "OPTIONS", "/").allow == "OPTIONS,GET,HEAD"
    assert planned(cache, "OPTIONS", "/rpc/search").allow == "OPTIONS,GET,HEAD,POST"
    assert planned(cache, "OPTIONS", "/rpc/add").allow == "OPTIONS,POST"


def test_filter_on_a_resource_not_embedded_is_pgrst108(cache: SchemaCache) -> None:
    with pytest.raises(ApiError) as exc:
        planned(cache, "GET", "/items", "clients.id=eq.1")
    assert exc.value.code == "PGRST108"


# --- functions --------------------------------------------------------------------------


def test_rpc_overloads_by_argument_names(cache: SchemaCache) -> None:
    p = planned(cache, "POST", "/rpc/add", body=b'{"a": 1}')
    assert p.call is not None and p.call.function.oid == 1
    assert p.read_only  # immutable function
    p2 = planned(cache, "POST", "/rpc/add", body=b'{"a": "x", "b": "y", "c": "z"}')
    assert p2.call is not None and p2.call.function.oid == 2 and not p2.read_only
    st = query.build(p)
    assert "json_to_recordset" in st.sql and '"a" := pgrst_args."a"' in st.sql


def test_rpc_not_found_messages(cache: SchemaCache) -> None:
    with pytest.raises(ApiError) as exc:
        planned(cache, "GET", "/rpc/add", "a=1&b=2&zzz=3")
    err = exc.value
    assert err.code == "PGRST202" and err.status == 404
    assert err.message == "Could not find the function api.add(a, b, zzz) in the schema cache"
    assert err.hint == "Perhaps you meant to call the function api.add(a, b, c)"
    with pytest.raises(ApiError) as exc:
        planned(cache, "GET", "/rpc/addd")
    assert exc.value.hint == "Perhaps you meant to call the function api.add"


def test_rpc_get_arguments_and_filters(cache: SchemaCache) -> None:
    # as in PostgREST, a value that looks like a filter is a filter, even for an argument
    p = planned(cache, "GET", "/rpc/search", "q=cat&id=gt.1&select=id&order=id&limit=2")
    assert p.call is not None and p.call.args == [("q", "cat")]
    st = query.build(p)
    assert '"q" := $1::text' in st.sql
    assert '"search"."id" > $2::text::bigint' in st.sql
    assert st.params[:3] == ["cat", "1", 2]


def test_rpc_form_body_and_columns(cache: SchemaCache) -> None:
    form = {"content-type": "application/x-www-form-urlencoded"}
    p = planned(cache, "POST", "/rpc/total", headers=form, body=b"v=1&v=2")
    assert p.call is not None and p.call.args == [("v", ["1", "2"])]
    req = build("POST", "/rpc/add", b"columns=a", {}, [], b'{"a": 1, "zzz": 2}', cache.schemas)
    chosen = plan(req, cache)
    assert chosen.call is not None and chosen.call.arg_names == ("a",)


def test_rpc_variadic_and_single_unnamed(cache: SchemaCache) -> None:
    p = planned(cache, "GET", "/rpc/total", "v=1&v=2")
    st = query.build(p)
    assert 'VARIADIC "v" := $1::text[]::integer[]' in st.sql and st.params[0] == ["1", "2"]
    single = planned(cache, "POST", "/rpc/echo", body=b"[1,2]")
    assert single.call is not None and single.call.args_from == "single"
    assert "$1::text::json" in query.build(single).sql


def test_rpc_void_and_methods(cache: SchemaCache) -> None:
    st = query.build(planned(cache, "POST", "/rpc/noop"))
    assert "NULL::bytea AS body" in st.sql
    with pytest.raises(ApiError) as exc:
        planned(cache, "PATCH", "/rpc/noop")
    assert exc.value.code == "PGRST101"
    with pytest.raises(ApiError) as exc:
        planned(cache, "POST", "/rpc/add", body=b"{not json")
    assert exc.value.code == "PGRST102"


def test_rpc_scalar_text_plain(cache: SchemaCache) -> None:
    p = planned(
        cache,
        "POST",
        "/rpc/add",
        headers={"accept": "text/plain"},
        body=b'{"a": "x", "b": "y", "c": "z"}',
    )
    assert p.media == "text"


def test_identifier_quoting() -> None:
    assert query.ident('we"ird') == '"we""ird"'
    assert query.ident("nul\x00rest") == '"nul"'

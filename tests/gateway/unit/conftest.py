"""A small in-memory schema cache for the pure stages (no database)."""

from __future__ import annotations

import pytest

from gateway.schema_cache import Column, Function, Param, SchemaCache, Table


def col(
    name: str, typ: str = "integer", base: str | None = None, position: int = 1, **kw: object
) -> Column:
    return Column(name=name, type=typ, base_type=base or typ, category="", position=position, **kw)  # type: ignore[arg-type]


ITEMS = Table(
    schema="api",
    name="items",
    kind="r",
    columns={
        "id": col("id", "bigint", "int8", 1, nullable=False),
        "name": col("name", "text", "text", 2),
        "data": col("data", "jsonb", "jsonb", 3),
        "tags": col("tags", "text[]", "_text", 4),
        "doc": col("doc", "tsvector", "tsvector", 5),
        "span": col("span", "int4range", "int4range", 6),
    },
    pk=("id",),
    insertable=True,
    updatable=True,
    deletable=True,
    description="Things\nAll the things.",
)
VIEW = Table(
    schema="api", name="item_names", kind="v", columns={"name": col("name", "text", "text", 1)}
)
ADD = Function(
    oid=1,
    schema="api",
    name="add",
    params=(Param("a", "integer", "int4", False), Param("b", "integer", "int4", True)),
    return_type="integer",
    return_base="int4",
    returns_set=False,
    volatility="i",
    ret_columns=None,
    ret_relation=None,
)
ADD_TEXT = Function(
    oid=2,
    schema="api",
    name="add",
    params=(
        Param("a", "text", "text", False),
        Param("b", "text", "text", False),
        Param("c", "text", "text", False),
    ),
    return_type="text",
    return_base="text",
    returns_set=False,
    volatility="v",
    ret_columns=None,
    ret_relation=None,
)
SEARCH = Function(
    oid=3,
    schema="api",
    name="search",
    params=(Param("q", "text", "text", False),),
    return_type="api.items",
    return_base="items",
    returns_set=True,
    volatility="s",
    ret_columns=ITEMS.columns,
    ret_relation=("api", "items"),
)
JSON_ARG = Function(
    oid=4,
    schema="api",
    name="echo",
    params=(Param("", "json", "json", False),),
    return_type="json",
    return_base="json",
    returns_set=False,
    volatility="i",
    ret_columns=None,
    ret_relation=None,
)
VARIADIC = Function(
    oid=5,
    schema="api",
    name="total",
    params=(Param("v", "integer[]", "_int4", False, True),),
    return_type="integer",
    return_base="int4",
    returns_set=False,
    volatility="i",
    ret_columns=None,
    ret_relation=None,
)
VOID = Function(
    oid=6,
    schema="api",
    name="noop",
    params=(),
    return_type="void",
    return_base="void",
    returns_set=False,
    volatility="v",
    ret_columns=None,
    ret_relation=None,
)


def make_cache() -> SchemaCache:
    return SchemaCache(
        schemas=("api", "v2"),
        tables={("api", "items"): ITEMS, ("api", "item_names"): VIEW},
        functions={
            ("api", "add"): (ADD, ADD_TEXT),
            ("api", "search"): (SEARCH,),
            ("api", "echo"): (JSON_ARG,),
            ("api", "total"): (VARIADIC,),
            ("api", "noop"): (VOID,),
        },
        types=frozenset({"text", "int4", "int8", "numeric", "date", "jsonb"}),
        timezones=frozenset({"UTC", "Europe/Paris"}),
    )


@pytest.fixture
def cache() -> SchemaCache:
    return make_cache()

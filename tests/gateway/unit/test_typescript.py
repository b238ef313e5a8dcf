"""gateway.typescript without a database: a hand-built schema cache in, supabase's text out."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from gateway import _tsprint, typescript
from gateway.schema_cache import Column, ForeignKey, Function, Param, SchemaCache, Table
from gateway.typescript import Extras, generate


def col(
    name: str,
    typ: str,
    base: str,
    *,
    nullable: bool = True,
    default: str | None = None,
    generated: bool = False,
) -> Column:
    return Column(
        name=name,
        type=typ,
        base_type=base,
        category="",
        nullable=nullable,
        default=default,
        generated=generated,
    )


AUTHORS = Table(
    "api",
    "authors",
    "r",
    {
        "id": col("id", "bigint", "int8", nullable=False),
        "name": col("name", "text", "text", nullable=False),
        "mood": col("mood", "api.mood", "mood", nullable=False, default="'happy'::api.mood"),
        "nick names": col("nick names", "text[]", "_text"),
    },
    pk=("id",),
)
POSTS = Table(
    "api",
    "posts",
    "r",
    {
        "id": col("id", "integer", "int4", nullable=False),
        "author_id": col("author_id", "bigint", "int8", nullable=False),
        "body": col("body", "jsonb", "jsonb"),
        "words": col("words", "integer", "int4", default="length(body::text)", generated=True),
        "at": col("at", "timestamp with time zone", "timestamptz", nullable=False, default="now()"),
        "span": col("span", "int4range", "int4range"),
        "Label": col("Label", "character varying(20)", "varchar"),
    },
    pk=("id",),
)
PROFILES = Table(
    "api",
    "profiles",
    "r",
    {
        "author_id": col("author_id", "bigint", "int8", nullable=False),
        "place": col("place", "api.address", "address"),
    },
    pk=("author_id",),
)
TITLES = Table(
    "api",
    "post_titles",
    "v",
    {
        "id": col("id", "integer", "int4"),
        "words": col("words", "integer", "int4"),
    },
)
STATS = Table("api", "stats", "m", {"n": col("n", "bigint", "int8")})
FUNCS = {
    ("api", "add"): (
        Function(
            1,
            "api",
            "add",
            (Param("a", "integer", "int4", False), Param("b", "integer", "int4", True)),
            "integer",
            "int4",
            False,
            "i",
            None,
            None,
        ),
        Function(
            2,
            "api",
            "add",
            (Param("a", "text", "text", False), Param("b", "text", "text", False)),
            "text",
            "text",
            False,
            "i",
            None,
            None,
        ),
    ),
    ("api", "now_utc"): (
        Function(
            3,
            "api",
            "now_utc",
            (),
            "timestamp with time zone",
            "timestamptz",
            False,
            "s",
            None,
            None,
        ),
    ),
    ("api", "posts_by"): (
        Function(
            4,
            "api",
            "posts_by",
            (Param("author", "bigint", "int8", False),),
            "api.posts",
            "posts",
            True,
            "s",
            POSTS.columns,
            ("api", "posts"),
        ),
    ),
    ("api", "pairs"): (
        Function(
            5,
            "api",
            "pairs",
            (),
            "record",
            "record",
            True,
            "s",
            {"x": col("x", "integer", "int4"), "y": col("y", "text", "text")},
            None,
        ),
    ),
    ("api", "echo"): (
        Function(
            6,
            "api",
            "echo",
            (Param("", "json", "json", False),),
            "json",
            "json",
            False,
            "i",
            None,
            None,
        ),
    ),
    ("api", "skipped"): (
        Function(
            7,
            "api",
            "skipped",
            (Param("", "integer", "int4", False), Param("", "integer", "int4", False)),
            "integer",
            "int4",
            False,
            "i",
            None,
            None,
        ),
    ),
    ("api", "touch"): (
        Function(8, "api", "touch", (), "trigger", "trigger", False, "v", None, None),
    ),
    ("api", "moods"): (
        Function(
            9,
            "api",
            "moods",
            (Param("m", "api.mood[]", "_mood", False),),
            "api.mood",
            "mood",
            True,
            "s",
            None,
            None,
        ),
    ),
    ("api", "initials"): (
        Function(
            10,
            "api",
            "initials",
            (Param("a", "api.authors", "authors", False),),
            "text",
            "text",
            False,
            "s",
            None,
            None,
        ),
    ),
}
CACHE = SchemaCache(
    schemas=("api",),
    tables={(t.schema, t.name): t for t in (AUTHORS, POSTS, PROFILES, TITLES, STATS)},
    functions=FUNCS,
    foreign_keys=(
        ForeignKey(
            "posts_author_id_fkey", ("api", "posts"), ("author_id",), ("api", "authors"), ("id",)
        ),
        ForeignKey(
            "profiles_author_id_fkey",
            ("api", "profiles"),
            ("author_id",),
            ("api", "authors"),
            ("id",),
        ),
        ForeignKey(
            "posts_author_elsewhere",
            ("api", "posts"),
            ("author_id",),
            ("private", "people"),
            ("id",),
        ),
    ),
    unique_keys={("api", "profiles"): (("author_id",),), ("api", "authors"): (("id",),)},
)
EXTRAS = Extras(
    identity={("api", "authors", "id"): "a", ("api", "posts", "id"): "d"},
    updatable_views={("api", "post_titles"): frozenset({"id"})},
    enums={("api", "mood"): ("happy", "sad"), ("private", "level"): ("low", "high")},
    composites={("api", "address"): (("street", "text"), ("city", "text"))},
    arg_modes={5: ("t", "t")},
)

DATABASE = """export type Database = {
  // Allows to automatically instantiate createClient with right options
  // instead of createClient<Database, { PostgrestVersion: 'XX' }>(URL, KEY)
  __InternalSupabase: {
    PostgrestVersion: "12"
  }
  api: {
    Tables: {
      authors: {
        Row: {
          id: number
          mood: Database["api"]["Enums"]["mood"]
          name: string
          "nick names": string[] | null
          initials: string | null
        }
        Insert: {
          id?: never
          mood?: Database["api"]["Enums"]["mood"]
          name: string
          "nick names"?: string[] | null
        }
        Update: {
          id?: never
          mood?: Database["api"]["Enums"]["mood"]
          name?: string
          "nick names"?: string[] | null
        }
        Relationships: []
      }
      posts: {
        Row: {
          at: string
          author_id: number
          body: Json | null
          id: number
          Label: string | null
          span: unknown | null
          words: number | null
        }
        Insert: {
          at?: string
          author_id: number
          body?: Json | null
          id?: number
          Label?: string | null
          span?: unknown | null
          words?: number | null
        }
        Update: {
          at?: string
          author_id?: number
          body?: Json | null
          id?: number
          Label?: string | null
          span?: unknown | null
          words?: number | null
        }
        Relationships: [
          {
            foreignKeyName: "posts_author_id_fkey"
            columns: ["author_id"]
            isOneToOne: false
            referencedRelation: "authors"
            referencedColumns: ["id"]
          },
        ]
      }
      profiles: {
        Row: {
          author_id: number
          place: Database["api"]["CompositeTypes"]["address"] | null
        }
        Insert: {
          author_id: number
          place?: Database["api"]["CompositeTypes"]["address"] | null
        }
        Update: {
          author_id?: number
          place?: Database["api"]["CompositeTypes"]["address"] | null
        }
        Relationships: [
          {
            foreignKeyName: "profiles_author_id_fkey"
            columns: ["author_id"]
            isOneToOne: true
            referencedRelation: "authors"
            referencedColumns: ["id"]
          },
        ]
      }
    }
    Views: {
      post_titles: {
        Row: {
          id: number | null
          words: number | null
        }
        Insert: {
          id?: number | null
          words?: never
        }
        Update: {
          id?: number | null
          words?: never
        }
        Relationships: []
      }
      stats: {
        Row: {
          n: number | null
        }
        Relationships: []
      }
    }
    Functions: {
      add: {
        Args: { a: number; b?: number } | { a: string; b: string }
        Returns: number
      }
      echo: { Args: { "": Json }; Returns: Json }
      initials: {
        Args: { a: Database["api"]["Tables"]["authors"]["Row"] }
        Returns: string
      }
      moods: {
        Args: { m: Database["api"]["Enums"]["mood"][] }
        Returns: Database["api"]["Enums"]["mood"][]
      }
      now_utc: { Args: Record<PropertyKey, never>; Returns: string }
      pairs: {
        Args: Record<PropertyKey, never>
        Returns: {
          x: number
          y: string
        }[]
      }
      posts_by: {
        Args: { author: number }
        Returns: {
          at: string
          author_id: number
          body: Json | null
          id: number
          Label: string | null
          span: unknown | null
          words: number | null
        }[]
      }
    }
    Enums: {
      mood: "happy" | "sad"
    }
    CompositeTypes: {
      address: {
        street: string | null
        city: string | null
      }
    }
  }
}
"""

CONSTANTS = """export const Constants = {
  api: {
    Enums: {
      mood: ["happy", "sad"],
    },
  },
} as const
"""


def test_database_type_is_supabases_shape() -> None:
    """Identity ALWAYS → never; defaults, identity BY DEFAULT, nullable and generated
    columns optional on Insert; enums, composites and relation rows by reference;
    updatable views with their read-only columns as never; overloads as a union of Args;
    TABLE results inline; trigger functions and several unnamed arguments left out;
    foreign keys to another schema left out; one-to-one from a unique referencing key."""
    source = generate(CACHE, EXTRAS)
    assert DATABASE in source
    assert source.endswith(CONSTANTS)


def test_whole_file_layout() -> None:
    source = generate(CACHE, EXTRAS)
    assert source.startswith(typescript.JSON_TYPE + "\n" + DATABASE + "\n")
    helpers = source[len(typescript.JSON_TYPE) + 1 + len(DATABASE) + 1 : -len(CONSTANTS)]
    assert helpers.startswith(
        'type DatabaseWithoutInternals = Omit<Database, "__InternalSupabase">\n\n'
        'type DefaultSchema = DatabaseWithoutInternals[Extract<keyof Database, "api">]\n\n'
        "export type Tables<\n"
    )
    assert "{W}" not in helpers
    assert helpers.count("DatabaseWithoutInternals") == 29
    for name in ("Tables", "TablesInsert", "TablesUpdate", "Enums", "CompositeTypes"):
        assert f"\nexport type {name}<\n" in helpers


def test_default_schema_and_no_internals_block() -> None:
    source = generate(CACHE, EXTRAS, default_schema="other", postgrest_version=None)
    assert "__InternalSupabase: {" not in source
    assert "// Allows to automatically" not in source
    assert 'Extract<keyof Database, "other">' in source


def test_empty_schema() -> None:
    cache = SchemaCache(schemas=("empty",), tables={}, functions={})
    source = generate(cache, postgrest_version=None)
    never = "{\n      [_ in never]: never\n    }"
    assert (
        "export type Database = {\n  empty: {\n"
        f"    Tables: {never}\n    Views: {never}\n    Functions: {never}\n"
        f"    Enums: {never}\n    CompositeTypes: {never}\n  }}\n}}\n"
    ) in source
    assert source.endswith(
        "export const Constants = {\n  empty: {\n    Enums: {},\n  },\n} as const\n"
    )


def test_schemas_are_sorted_and_each_gets_its_section() -> None:
    cache = SchemaCache(schemas=("v2", "api"), tables={}, functions={})
    source = generate(cache)
    assert source.index("\n  api: {") < source.index("\n  v2: {")
    assert 'Extract<keyof Database, "v2">' in source  # the first exposed is the default


@pytest.mark.parametrize(
    ("pg_type", "ts"),
    [
        ("bool", "boolean"),
        ("int2", "number"),
        ("int4", "number"),
        ("int8", "number"),
        ("float4", "number"),
        ("float8", "number"),
        ("numeric", "number"),
        ("text", "string"),
        ("varchar", "string"),
        ("bpchar", "string"),
        ("uuid", "string"),
        ("date", "string"),
        ("time", "string"),
        ("timestamptz", "string"),
        ("bytea", "string"),
        ("json", "Json"),
        ("jsonb", "Json"),
        ("void", "undefined"),
        ("record", "Record<string, unknown>"),
        ("_int4", "number[]"),
        ("_jsonb", "Json[]"),
        ("__text", "string[][]"),
        ("mood", 'Database["api"]["Enums"]["mood"]'),
        ("_mood", 'Database["api"]["Enums"]["mood"][]'),
        ("level", '"low" | "high"'),  # an enum outside the exposed schemas: its labels
        ("_level", '("low" | "high")[]'),
        ("address", 'Database["api"]["CompositeTypes"]["address"]'),
        ("authors", 'Database["api"]["Tables"]["authors"]["Row"]'),
        ("post_titles", 'Database["api"]["Views"]["post_titles"]["Row"]'),
        ("int4range", "unknown"),
        ("tsvector", "unknown"),
        ("interval", "unknown"),
    ],
)
def test_type_mapping(pg_type: str, ts: str) -> None:
    ctx = typescript._Context(CACHE, EXTRAS, ("api",))
    assert ctx.ts_type(pg_type).text() == ts


def test_same_named_types_follow_the_formatted_schema() -> None:
    extras = Extras(enums={("api", "kind"): ("a",), ("v2", "kind"): ("b",)})
    ctx = typescript._Context(CACHE, extras, ("api", "v2"))
    assert ctx.ts_type("kind", "v2.kind").text() == 'Database["v2"]["Enums"]["kind"]'
    assert ctx.ts_type("_kind", "v2.kind[]").text() == 'Database["v2"]["Enums"]["kind"][]'
    assert ctx.ts_type("kind", "api.kind").text() == 'Database["api"]["Enums"]["kind"]'
    assert ctx.ts_type("kind", "kind").text() == 'Database["api"]["Enums"]["kind"]'


@pytest.mark.parametrize(
    ("formatted", "schema"),
    [
        ("api.mood", "api"),
        ("api.mood[]", "api"),
        ('"My Schema".mood', "My Schema"),
        ('"we""ird".t', 'we"ird'),
        ("integer", None),
        ("character varying(20)", None),
        ('"a.b"', None),
    ],
)
def test_schema_of(formatted: str, schema: str | None) -> None:
    assert typescript._schema_of(formatted) == schema


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("id", "id"),
        ("_private", "_private"),
        ("$ref", "$ref"),
        ("someId", "someId"),
        ("café", "café"),
        ("field-with_sep", '"field-with_sep"'),
        ("nick names", '"nick names"'),
        ("9lives", '"9lives"'),
        ("", '""'),
        ("a.b", '"a.b"'),
        ('say "hi"', "'say \"hi\"'"),  # prettier picks the quote needing fewer escapes
        ("it's", '"it\'s"'),
        ("back\\slash", '"back\\\\slash"'),
    ],
)
def test_property_keys_quoted_as_prettier_does(name: str, key: str) -> None:
    assert _tsprint.property_key(name) == key


def test_locale_order_matches_javascript_locale_compare() -> None:
    # node -e 'console.log([...].sort((x, y) => x.localeCompare(y)))' with full ICU
    names = ["a_b", "ab", "a1", "A", "a", "B", "b", "_x", "x-y", "xy", "x_y", "Zed", "apple"]
    names += ["Apple", "a b", "a2", "a10"]
    assert _tsprint.locale_sorted(names) == [
        "_x", "a", "A", "a b", "a_b", "a1", "a10", "a2", "ab", "apple", "Apple",
        "b", "B", "x_y", "x-y", "xy", "Zed",
    ]  # fmt: skip


def test_long_unions_break_one_member_per_line() -> None:
    labels = tuple(f"label_number_{i}" for i in range(6))
    cache = SchemaCache(schemas=("api",), tables={}, functions={})
    source = generate(cache, Extras(enums={("api", "long"): labels}))
    expected = "      long:\n" + "".join(f'        | "{label}"\n' for label in labels)
    assert "    Enums: {\n" + expected + "    }\n" in source
    assert "      long: [\n" + "".join(f'        "{label}",\n' for label in labels) in source


def test_long_nullable_reference_breaks_before_the_union() -> None:
    table = Table(
        "api",
        "t",
        "r",
        {
            "c": col(
                "c",
                "api.a_rather_long_enumeration_name_indeed",
                "a_rather_long_enumeration_name_indeed",
            )
        },
    )
    extras = Extras(enums={("api", "a_rather_long_enumeration_name_indeed"): ("x",)})
    cache = SchemaCache(schemas=("api",), tables={("api", "t"): table}, functions={})
    row = (
        "        Row: {\n"
        "          c:\n"
        '            | Database["api"]["Enums"]["a_rather_long_enumeration_name_indeed"]\n'
        "            | null\n"
        "        }\n"
    )
    assert row in generate(cache, extras)


def test_render_fits_groups_within_eighty_columns() -> None:
    short = _tsprint.obj([_tsprint.member("a", _tsprint.raw("number"))], hard=False)
    assert short.text() == "{ a: number }"
    many = [_tsprint.member(f"argument_{i}", _tsprint.raw("string")) for i in range(6)]
    assert _tsprint.obj(many, hard=False).text() == (
        "{\n" + "".join(f"  argument_{i}: string\n" for i in range(6)) + "}"
    )
    hard = _tsprint.obj([_tsprint.member("a", _tsprint.raw("number"))], hard=True)
    assert hard.text() == "{\n  a: number\n}"


def test_cli_reports_an_unreachable_database(capsys: pytest.CaptureFixture[str]) -> None:
    from taproot.cluster import free_port

    uri = f"postgresql://nobody@127.0.0.1:{free_port()}/nothing"
    assert typescript.main(["--db-uri", uri, "--schemas", "api"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("gateway.typescript: cannot introspect the database: ")


def test_cli_needs_a_schema(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        typescript.main(["--db-uri", "postgresql://", "--schemas", " , "])
    assert info.value.code == 2
    assert "--schemas: at least one schema is needed" in capsys.readouterr().err


def test_view_relationships_come_from_the_foreign_keys_the_cache_records() -> None:
    view = Table("api", "author_view", "v", {"id": col("id", "bigint", "int8")}, pk=("id",))
    tables = {**CACHE.tables, ("api", "author_view"): view}
    restated = ForeignKey(
        "profiles_author_id_fkey",
        ("api", "author_view"),
        ("id",),
        ("api", "profiles"),
        ("author_id",),
    )
    cache = SchemaCache(
        schemas=("api",), tables=tables, functions={}, foreign_keys=(*CACHE.foreign_keys, restated)
    )
    expected = (
        "      author_view: {\n"
        "        Row: {\n"
        "          id: number | null\n"
        "        }\n"
        "        Relationships: [\n"
        "          {\n"
        '            foreignKeyName: "profiles_author_id_fkey"\n'
        '            columns: ["id"]\n'
        "            isOneToOne: true\n"
        '            referencedRelation: "profiles"\n'
        '            referencedColumns: ["author_id"]\n'
        "          },\n"
        "        ]\n"
        "      }\n"
    )
    assert expected in generate(cache, EXTRAS)


def test_cli_reports_an_invalid_uri(capsys: pytest.CaptureFixture[str]) -> None:
    assert typescript.main(["--db-uri", "mysql://x", "--schemas", "api"]) == 1
    assert "cannot introspect the database: invalid DSN" in capsys.readouterr().err


def test_cli_writes_and_prints(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    seen: list[tuple[str, tuple[str, ...], str | None, str | None]] = []

    def fake(
        uri: str,
        schemas: Sequence[str],
        *,
        default_schema: str | None,
        postgrest_version: str | None,
    ) -> str:
        seen.append((uri, tuple(schemas), default_schema, postgrest_version))
        return "export type Database = {}\n"

    monkeypatch.setattr(typescript, "types_for_database", fake)
    out = tmp_path / "database.types.ts"
    argv = ["--db-uri", "postgresql://h/db", "--schemas", "api, v2"]
    assert typescript.main([*argv, "--out", str(out)]) == 0
    assert out.read_text() == "export type Database = {}\n"
    assert typescript.main([*argv, "--postgrest-version", "", "--default-schema", "v2"]) == 0
    assert capsys.readouterr().out == "export type Database = {}\n"
    assert seen == [
        ("postgresql://h/db", ("api", "v2"), None, "12"),
        ("postgresql://h/db", ("api", "v2"), "v2", None),
    ]
    assert typescript.main([*argv, "--out", str(tmp_path / "missing" / "x.ts")]) == 1
    assert "cannot write" in capsys.readouterr().err

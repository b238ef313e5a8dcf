"""`python -m gateway.typescript` on the fixture schemas, checked by tsc and prettier.

The generated `Database` type must let tests/gateway/js/typed/*.ts (typed postgrest-js
queries: reads, embedding, writes, RPC) compile under `tsc --noEmit --strict`, and make
deliberately wrong queries fail to compile with the error a frontend developer would
see. prettier (semi: false, as supabase formats) must find nothing to change in the
Database type and Constants, i.e. the layout is supabase's.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest

from taproot.database import Database
from tests.gateway.js import harness

TYPED = harness.JS_DIR / "typed"
BIN = harness.JS_DIR / "node_modules" / ".bin"
TSC_FLAGS = (
    "--noEmit",
    "--strict",
    "--target",
    "es2022",
    "--module",
    "esnext",
    "--moduleResolution",
    "bundler",
    "--lib",
    "es2022,dom",
)
HEADER = """import { PostgrestClient } from '@supabase/postgrest-js'
import type { Database } from './database.types'
declare const url: string
const db = new PostgrestClient<Database>(url)
"""
# Wrong queries → the tsc error text each must produce. postgrest-js v1 accepts any string
# as a filter column (embedded `books.title` paths), so a wrong .eq() shows in its value.
WRONG = {
    "eq_value": (
        'export const q = db.from("books").select("id").eq("author_id", "one")',
        "Argument of type 'string' is not assignable to parameter of type 'number'.",
    ),
    "select_column": (
        'export const f = async () => (await db.from("books").select("titel")).data?.[0]?.titel',
        "Property 'titel' does not exist on type "
        "'SelectQueryError<\"column 'titel' does not exist on 'books'.\">'.",
    ),
    "insert_type": (
        'export const q = db.from("books").insert({ title: 42, author_id: 1 })',
        "Type 'number' is not assignable to type 'string'.",
    ),
    "insert_missing_required": (
        'export const q = db.from("authors").insert({ name: "Toni" })',
        "Property 'id' is missing in type '{ name: string; }' but required in type",
    ),
    "insert_identity_always": (
        'export const q = db.from("events").insert({ id: 5, name: "x" })',
        "Type 'number' is not assignable to type 'undefined'.",
    ),
    "update_enum_value": (
        'export const q = db.from("authors").update({ mood: "angry" }).eq("id", 1)',
        'Type \'"angry"\' is not assignable to type \'"happy" | "sad" | "so-so" | undefined\'.',
    ),
    "rpc_argument": (
        'export const q = db.rpc("count_books", { min: 1 })',
        "Object literal may only specify known properties, and 'min' does not exist in type "
        "'{ min_id?: number | undefined; }'.",
    ),
    "table_name": (
        'export const q = db.from("bookz").select("*")',
        "Argument of type '\"bookz\"' is not assignable to parameter of type",
    ),
}


def _uri(db: Database) -> str:
    """`db`'s libpq conninfo (superuser) as the postgresql:// URL the command takes."""
    parts = psycopg.conninfo.conninfo_to_dict(db.url)
    auth = quote(str(parts.get("user") or ""), safe="")
    if parts.get("password"):
        auth += ":" + quote(str(parts["password"]), safe="")
    host = str(parts.get("host") or "localhost")
    port = parts.get("port") or 5432
    if host.startswith("/"):
        return f"postgresql://{auth}@/{db.name}?host={quote(host, safe='/')}&port={port}"
    return f"postgresql://{auth}@{host}:{port}/{db.name}"


def _generate(
    db: Database, schemas: str, out: Path | None = None
) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "gateway.typescript", "--db-uri", _uri(db), "--schemas", schemas]
    if out is not None:
        argv += ["--out", str(out)]
    return subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)


def _tsc(workdir: Path, *files: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "tsc"), *TSC_FLAGS, *files],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def workdir(spec_db: Database, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Generated types for jsclient (database.types.ts) and all schemas (all.types.ts)."""
    harness.install()
    harness.load_schema(spec_db)
    work = tmp_path_factory.mktemp("typed")
    (work / "node_modules").symlink_to(harness.JS_DIR / "node_modules")
    for schemas, name in (("jsclient", "database.types.ts"), ("test,v2,jsclient", "all.types.ts")):
        result = _generate(spec_db, schemas, work / name)
        assert result.returncode == 0, result.stderr
    for source in TYPED.glob("*.ts"):
        shutil.copy(source, work / source.name)
    for name, (line, _) in WRONG.items():
        (work / f"wrong_{name}.ts").write_text(HEADER + line + "\n")
    yield work


@pytest.fixture(scope="module")
def wrong_output(workdir: Path) -> str:
    result = _tsc(workdir, *(f"wrong_{name}.ts" for name in WRONG))
    assert result.returncode != 0
    return result.stdout


def test_typed_queries_compile(workdir: Path) -> None:
    result = _tsc(workdir, "queries.ts")
    assert (result.returncode, result.stdout) == (0, "")


def test_several_schemas_compile(workdir: Path) -> None:
    result = _tsc(workdir, "multi_schema.ts")
    assert (result.returncode, result.stdout) == (0, "")


@pytest.mark.parametrize("name", WRONG)
def test_wrong_query_does_not_compile(wrong_output: str, name: str) -> None:
    errors = "\n".join(
        block
        for block in re.split(r"\n(?=\S)", wrong_output)
        if block.startswith(f"wrong_{name}.ts(")
    )
    assert " error TS" in errors, f"wrong_{name}.ts compiled:\n{wrong_output}"
    assert WRONG[name][1] in errors


def test_every_wrong_file_is_its_own_failure(workdir: Path) -> None:
    result = _tsc(workdir, "wrong_insert_type.ts")
    assert result.returncode == 2
    assert result.stdout.startswith("wrong_insert_type.ts(5,")


def test_stdout_is_what_out_writes(spec_db: Database, workdir: Path) -> None:
    result = _generate(spec_db, "jsclient")
    assert result.returncode == 0, result.stderr
    assert result.stdout == (workdir / "database.types.ts").read_text()


@pytest.mark.parametrize("name", ["database.types.ts", "all.types.ts"])
def test_layout_is_prettiers(workdir: Path, name: str) -> None:
    """Json, Database and Constants as prettier prints them (the helper types are copied
    verbatim from supabase's output, which an older prettier laid out)."""
    source = (workdir / name).read_text()
    head, helpers_and_tail = source.split("type DatabaseWithoutInternals", 1)
    tail = helpers_and_tail[helpers_and_tail.index("export const Constants") :]
    for part in (head, tail):
        formatted = subprocess.run(
            [str(BIN / "prettier"), "--parser", "typescript", "--no-semi"],
            input=part,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
            env={**os.environ, "NO_COLOR": "1"},
        ).stdout
        assert part.rstrip("\n") == formatted.rstrip("\n")


def test_taproot_api_schema_types_compile(app_db: Database, workdir: Path) -> None:
    """What `bin/taproot types` generates for the deployed `api` schema type-checks the
    documented example (embedding, insert with defaults, RPC returning a table)."""
    result = _generate(app_db, "api", workdir / "api.types.ts")
    assert result.returncode == 0, result.stderr
    compiled = _tsc(workdir, "api_queries.ts")
    assert (compiled.returncode, compiled.stdout) == (0, "")

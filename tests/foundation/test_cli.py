"""The `taproot` command line: db subcommands and migrate, as a user runs them."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from taproot import ROOT, cli
from taproot.cluster import free_port
from taproot.database import Database


@pytest.fixture
def home_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    tmp_path.chmod(0o755)
    env = {
        **os.environ,
        "TAPROOT_HOME": str(tmp_path / "home"),
        "TAPROOT_PG_PORT": str(free_port()),
    }
    env.pop("DATABASE_URL", None)
    yield env
    # reset, not stop: under a private home the cluster lives in ~postgres, outside tmp_path.
    subprocess.run(
        [sys.executable, "-m", "taproot", "db", "reset"], env=env, capture_output=True, check=False
    )


def _taproot(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "taproot", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_db_lifecycle_and_migrate(home_env: dict[str, str], tmp_path: Path) -> None:
    started = _taproot(home_env, "db", "start")
    assert started.returncode == 0, started.stderr
    assert f"127.0.0.1:{home_env['TAPROOT_PG_PORT']}" in started.stdout

    migrated = _taproot(home_env, "migrate")
    assert migrated.returncode == 0, migrated.stderr
    status = _taproot(home_env, "db", "status")
    assert "running" in status.stdout

    types_file = tmp_path / "database.types.ts"
    types = _taproot(home_env, "types", "--out", str(types_file))
    assert types.returncode == 0, types.stderr
    unwritable = _taproot(home_env, "types", "--out", str(tmp_path / "missing" / "x.ts"))
    assert unwritable.returncode == 1
    assert "cannot write" in unwritable.stderr
    source = types_file.read_text()
    assert "export type Database = {" in source
    assert "  api: {" in source
    assert "Nothing to deploy (up-to-date)" in status.stdout

    reverted = _taproot(home_env, "migrate", "--revert", "--to", "api_schema")
    assert reverted.returncode == 0, reverted.stderr
    assert "Undeployed changes" in reverted.stdout

    assert _taproot(home_env, "db", "stop").returncode == 0
    stopped = _taproot(home_env, "db", "status")
    assert "stopped" in stopped.stdout
    no_server = _taproot(home_env, "types")
    assert no_server.returncode == 1
    assert "not running" in no_server.stderr
    reset = _taproot(home_env, "db", "reset")
    assert reset.returncode == 0
    assert not (Path(home_env["TAPROOT_HOME"]) / "pg").exists()


def test_db_commands_refuse_with_database_url(home_env: dict[str, str]) -> None:
    env = {**home_env, "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/x"}
    result = _taproot(env, "db", "start")
    assert result.returncode == 1
    assert "DATABASE_URL is set" in result.stderr
    types = _taproot(env, "types")
    assert types.returncode == 1
    assert types.stderr.startswith("taproot: cannot read the schema:")


def test_migrate_with_database_url_uses_that_server(
    home_env: dict[str, str], pg_server: Database
) -> None:
    name = f"taproot_url_{uuid.uuid4().hex[:8]}"
    env = {**home_env, "DATABASE_URL": pg_server.with_name(name).url}
    try:
        result = _taproot(env, "migrate")
        assert result.returncode == 0, result.stderr
        assert "Nothing to deploy (up-to-date)" in result.stdout
        with pg_server.with_name(name).connect() as conn:
            row = conn.execute("SELECT committer_name FROM sqitch.changes LIMIT 1").fetchone()
        assert row == ("taproot",)
        status = _taproot(env, "db", "status")
        assert "embedded cluster" not in status.stdout
    finally:
        pg_server.drop(name)
    assert not (Path(home_env["TAPROOT_HOME"]) / "pg").exists()


def test_bad_setting_exits_2(home_env: dict[str, str]) -> None:
    result = _taproot({**home_env, "API_PORT": "nope"}, "db", "status")
    assert result.returncode == 2
    assert "API_PORT" in result.stderr


def test_parser_knows_every_command() -> None:
    parser = cli.build_parser()
    assert parser.parse_args(["test", "--only", "db"]).only == ["db"]
    assert parser.parse_args(["db", "psql"]).action == "psql"
    with pytest.raises(SystemExit):
        parser.parse_args(["db", "explode"])

"""Database administration: role bootstrap, database creation and sqitch migrations.

Works the same against the embedded cluster and an external DATABASE_URL: both are
reached through a libpq URL for an administrative (owner) user.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

from taproot import ROOT
from taproot.errors import TaprootError

BOOTSTRAP_SQL = ROOT / "db" / "bootstrap" / "roles.sql"


@dataclass(frozen=True)
class Database:
    """An administrative connection target: `url` reaches database `name`."""

    url: str

    @property
    def name(self) -> str:
        return psycopg.conninfo.conninfo_to_dict(self.url).get("dbname") or "postgres"  # type: ignore[return-value]

    def with_name(self, name: str) -> Database:
        parts = psycopg.conninfo.conninfo_to_dict(self.url)
        parts["dbname"] = name
        return Database(
            psycopg.conninfo.make_conninfo(**{k: str(v) for k, v in parts.items() if v is not None})
        )

    def connect(self) -> psycopg.Connection[tuple[object, ...]]:
        try:
            return psycopg.connect(self.url, autocommit=True, connect_timeout=10)
        except psycopg.OperationalError as exc:
            raise TaprootError(f"cannot connect to PostgreSQL: {str(exc).strip()}") from exc

    # -- cluster-wide ---------------------------------------------------------------------

    def bootstrap_roles(self, *, authenticator_password: str, analyst_password: str) -> None:
        with self.connect() as conn:
            conn.execute(
                "SELECT set_config('taproot.authenticator_password', %s, false),"
                " set_config('taproot.analyst_password', %s, false)",
                (authenticator_password, analyst_password),
            )
            conn.execute(BOOTSTRAP_SQL.read_text())

    def exists(self, name: str) -> bool:
        with self.connect() as conn:
            row = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
            return row is not None

    def create(self, name: str, *, template: str | None = None) -> None:
        query = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template:
            query = sql.SQL("{} TEMPLATE {}").format(query, sql.Identifier(template))
        with self.connect() as conn:
            conn.execute(query)

    def drop(self, name: str) -> None:
        with self.connect() as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )

    def set_template(self, name: str, *, is_template: bool) -> None:
        query = sql.SQL("ALTER DATABASE {} WITH is_template = {}").format(
            sql.Identifier(name), sql.Literal(is_template)
        )
        with self.connect() as conn:
            conn.execute(query)

    def ensure_created(self, name: str) -> bool:
        if self.exists(name):
            return False
        self.create(name)
        return True


def sqitch_target(url: str) -> str:
    """sqitch names a PostgreSQL target `db:pg://…`; libpq URLs use postgresql://."""
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql"):
        raise TaprootError(f"not a PostgreSQL URL: {parts.scheme}://…")
    return "db:" + urlunsplit(("pg", parts.netloc, parts.path, parts.query, parts.fragment))


def sqitch(db: Database, *args: str) -> subprocess.CompletedProcess[str]:
    """Run sqitch in the project root against `db`; raises with sqitch's own words on failure."""
    env = {
        **os.environ,
        # Recorded as the deployer in sqitch's registry.
        "SQITCH_FULLNAME": os.environ.get("SQITCH_FULLNAME", "taproot"),
        "SQITCH_EMAIL": os.environ.get("SQITCH_EMAIL", "taproot@localhost"),
    }
    # libpq's socket-directory URLs (host=/path) are not sqitch URIs; hand those over as
    # PG* variables instead, which sqitch's engine and psql both honour.
    conninfo = psycopg.conninfo.conninfo_to_dict(db.url)
    host = str(conninfo.get("host") or "")
    if host.startswith("/"):
        env.update(
            {
                "PGHOST": host,
                "PGPORT": str(conninfo.get("port") or 5432),
                "PGUSER": str(conninfo.get("user") or ""),
            }
        )
        if conninfo.get("password"):
            env["PGPASSWORD"] = str(conninfo["password"])
        target = f"db:pg:{db.name}"
    else:
        target = sqitch_target(db.url)
    result = subprocess.run(
        ["sqitch", *args, target], env=env, capture_output=True, text=True, check=False, cwd=ROOT
    )
    if result.returncode != 0:
        raise TaprootError(
            f"sqitch {' '.join(args)} failed:\n{(result.stderr or result.stdout).strip()}"
        )
    return result


def sqitch_variables() -> list[str]:
    """`--set` options for deploy/revert/verify: where the pinned Procrastinate keeps its SQL.

    deploy/procrastinate_schema.sql includes that file, so the repository holds no copy of
    Procrastinate's schema and an upgrade is a new change loading the release's migration.
    """
    from importlib import resources

    sql_dir = resources.files("procrastinate") / "sql"
    return [
        "--set",
        f"procrastinate_schema_sql={sql_dir / 'schema.sql'}",
        "--set",
        f"procrastinate_migrations={sql_dir / 'migrations'}",
    ]


def migrate(db: Database) -> None:
    sqitch(db, "deploy", "--verify", *sqitch_variables())


def revert(db: Database, to: str | None = None) -> None:
    sqitch(db, "revert", "-y", *sqitch_variables(), *(["--to", to] if to else []))


def status(db: Database) -> str:
    return sqitch(db, "status").stdout


def plan_changes() -> list[str]:
    """Change names in sqitch.plan order."""
    names = []
    for raw in (ROOT / "sqitch.plan").read_text().splitlines():
        line = raw.strip()
        if line and not line.startswith(("%", "#", "@")):
            names.append(line.split()[0])
    return names

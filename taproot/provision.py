"""Brings a database to the deployed state: roles, database, sqitch plan, seed, secrets."""

from __future__ import annotations

import sys

from taproot import ROOT
from taproot.database import Database, migrate
from taproot.errors import TaprootError
from taproot.settings import Settings

SEED_DIR = ROOT / "db" / "seed"


def prepare(admin: Database, settings: Settings) -> bool:
    """Roles, database and migrations; True when the database was created now."""
    server = admin.with_name("postgres")
    server.bootstrap_roles(
        authenticator_password=settings.authenticator_password,
        analyst_password=settings.analyst_password,
    )
    created = server.ensure_created(admin.name)
    migrate(admin)
    return created


def seed(admin: Database) -> None:
    """Load db/seed/*.sql in name order (demo data for an empty database)."""
    files = sorted(SEED_DIR.glob("*.sql"))
    with admin.connect() as conn:
        for path in files:
            conn.execute(path.read_text())
    if files:
        print(f"taproot: loaded seed data ({len(files)} files)", file=sys.stderr)


def jwt_secret(admin: Database, settings: Settings) -> str:
    """The JWT signing secret shared by the database (login) and the gateway (verification).

    The database owns it (auth.jwt_secret()); JWT_SECRET, when set, replaces it there.
    """
    with admin.connect() as conn:
        if settings.jwt_secret:
            conn.execute("SELECT auth.set_jwt_secret(%s)", (settings.jwt_secret,))
        row = conn.execute("SELECT auth.jwt_secret()").fetchone()
        if row is None or not isinstance(row[0], str):
            raise TaprootError("auth.jwt_secret() returned no secret")
        return row[0]

"""Brings a database to the deployed state: roles, database, plan, settings, seed, secrets."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

from psycopg import sql

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
    required = verified_email_required(settings)
    if required is not None:
        set_verified_email_requirement(admin, required=required)
    return created


REQUIRE_VERIFIED_EMAIL = "TAPROOT_REQUIRE_VERIFIED_EMAIL"
_ON = frozenset({"on", "true", "yes", "1"})
_OFF = frozenset({"off", "false", "no", "0"})


def verified_email_required(
    settings: Settings, environ: Mapping[str, str] = os.environ
) -> bool | None:
    """Whether sign-in needs a verified email: TAPROOT_REQUIRE_VERIFIED_EMAIL (on/off) when set;
    else off on the embedded cluster (development: sign up and log in at once) and, with
    DATABASE_URL, None: the database keeps its own setting, whose default is on."""
    raw = environ.get(REQUIRE_VERIFIED_EMAIL, "").strip().lower()
    if raw in _ON:
        return True
    if raw in _OFF:
        return False
    if raw:
        raise TaprootError(
            f"invalid setting: {REQUIRE_VERIFIED_EMAIL} must be on or off, not {raw!r}",
            exit_code=2,
        )
    return None if settings.database_url else False


def set_verified_email_requirement(admin: Database, *, required: bool) -> None:
    """ALTER DATABASE … SET taproot.require_verified_email, read by api.signup and api.login
    in every later session (a utility statement: the value is one of two literals)."""
    statement = sql.SQL("ALTER DATABASE {} SET taproot.require_verified_email = {}").format(
        sql.Identifier(admin.name), sql.Literal("on" if required else "off")
    )
    with admin.connect() as conn:
        conn.execute(statement)


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

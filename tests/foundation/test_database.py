"""Role bootstrap, database creation and sqitch migrations against a real server."""

from __future__ import annotations

import uuid

import psycopg
import pytest

from taproot import database
from taproot.database import Database, sqitch_target
from taproot.errors import TaprootError


def test_bootstrap_is_idempotent_and_sets_passwords(pg_server: Database) -> None:
    for _ in range(2):
        pg_server.bootstrap_roles(
            authenticator_password="authenticator-local-only", analyst_password="analyst-pw-1"
        )
    with pg_server.connect() as conn:
        rows = conn.execute(
            "SELECT rolname, rolcanlogin, rolinherit FROM pg_roles"
            " WHERE rolname IN ('anon','authenticated','service_role','worker','authenticator',"
            "'analyst') ORDER BY rolname"
        ).fetchall()
    assert rows == [
        ("analyst", True, False),
        ("anon", False, True),
        ("authenticated", False, True),
        ("authenticator", True, False),
        ("service_role", False, True),
        ("worker", False, True),
    ]


def test_deploy_revert_redeploy(pg_server: Database) -> None:
    name = f"taproot_m_{uuid.uuid4().hex[:8]}"
    assert pg_server.ensure_created(name) is True
    assert pg_server.ensure_created(name) is False
    db = pg_server.with_name(name)
    try:
        database.migrate(db)
        assert "Nothing to deploy" in database.status(db)
        database.revert(db)
        with db.connect() as conn:
            left = conn.execute(
                "SELECT count(*) FROM pg_namespace"
                " WHERE nspname IN ('api', 'app', 'auth', 'reporting')"
            ).fetchone()
        assert left == (0,)
        database.migrate(db)
        with db.connect() as conn:
            deployed = conn.execute("SELECT count(*) FROM sqitch.changes").fetchone()
        assert deployed == (len(database.plan_changes()),)
    finally:
        pg_server.drop(name)


def test_template_clone_is_fully_deployed(app_db: Database) -> None:
    with app_db.connect() as conn:
        row = conn.execute("SELECT count(*) FROM sqitch.changes").fetchone()
    assert row == (len(database.plan_changes()),)


def test_analyst_is_read_only(pg_server: Database, app_db: Database) -> None:
    pg_server.bootstrap_roles(
        authenticator_password="authenticator-local-only", analyst_password="analyst-pw-2"
    )
    with app_db.connect() as conn:
        conn.execute("SET ROLE analyst")
        # Role-level defaults apply at login; check the catalog says they will.
        settings = conn.execute(
            "SELECT setconfig FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole"
            " WHERE r.rolname = 'analyst'"
        ).fetchone()
    assert settings is not None
    assert "default_transaction_read_only=on" in list(settings[0])  # type: ignore[call-overload]


def test_sqitch_target_conversion() -> None:
    assert sqitch_target("postgresql://u:p@h:5/db") == "db:pg://u:p@h:5/db"
    assert sqitch_target("postgres://h/db?sslmode=require") == "db:pg://h/db?sslmode=require"
    with pytest.raises(TaprootError, match="not a PostgreSQL URL"):
        sqitch_target("mysql://h/db")


def test_unreachable_server_is_a_clear_error() -> None:
    db = Database("postgresql://nobody@127.0.0.1:1/none?connect_timeout=1")
    with pytest.raises(TaprootError, match="cannot connect to PostgreSQL"):
        db.connect()


def test_failed_sqitch_reports_its_words(pg_server: Database) -> None:
    db = pg_server.with_name("does_not_exist_db")
    with pytest.raises(TaprootError, match="sqitch deploy"):
        database.migrate(db)
    assert isinstance(psycopg.__version__, str)

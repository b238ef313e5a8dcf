"""The JWT secret `up` hands to the gateway is the one the database signs with."""

from __future__ import annotations

import pytest

from taproot.database import Database
from taproot.provision import jwt_secret
from taproot.settings import load_settings


def test_secret_comes_from_the_database(app_db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JWT_SECRET", raising=False)
    first = jwt_secret(app_db, load_settings())
    assert len(first) >= 32
    assert jwt_secret(app_db, load_settings()) == first


def test_jwt_secret_variable_replaces_it(app_db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    chosen = "an-operator-chosen-secret-of-enough-length-42"
    monkeypatch.setenv("JWT_SECRET", chosen)
    assert jwt_secret(app_db, load_settings()) == chosen
    with app_db.connect() as conn:
        assert conn.execute("SELECT auth.jwt_secret()").fetchone() == (chosen,)

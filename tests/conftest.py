"""Session-wide database fixtures shared by every suite.

`taproot test` starts a throwaway cluster and passes its superuser URL in
TAPROOT_TEST_ADMIN_URL; run bare (`pytest`), the session starts its own. The deployed
schema is built once into a template database with sqitch and cloned per test with
CREATE DATABASE … TEMPLATE, which takes milliseconds.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from taproot import system_deps
from taproot.cluster import Cluster, free_port
from taproot.database import Database, migrate
from taproot.provision import set_verified_email_requirement

AUTHENTICATOR_PASSWORD = os.environ.get(
    "TAPROOT_AUTHENTICATOR_PASSWORD", "authenticator-local-only"
)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[Database]:
    """A superuser connection target on the `postgres` database of a throwaway cluster."""
    url = os.environ.get("TAPROOT_TEST_ADMIN_URL")
    if url:
        yield Database(url)
        return
    workdir = Path(tempfile.mkdtemp(prefix="taproot-pytest-"))
    workdir.chmod(0o755)
    cluster = Cluster(
        tools=system_deps.ensure(for_tests=True),
        data_dir=workdir / "pg",
        port=free_port(),
        ephemeral=True,
    )
    cluster.start()
    try:
        server = Database(cluster.admin_url())
        server.bootstrap_roles(
            authenticator_password=AUTHENTICATOR_PASSWORD, analyst_password="analyst-local-only"
        )
        yield server
    finally:
        cluster.destroy()
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="session")
def template_db(pg_server: Database) -> Iterator[Database]:
    """The full sqitch plan deployed once, marked as a template."""
    name = f"taproot_tpl_{uuid.uuid4().hex[:8]}"
    pg_server.create(name)
    admin = pg_server.with_name(name)
    migrate(admin)
    pg_server.set_template(name, is_template=True)
    yield admin
    pg_server.set_template(name, is_template=False)
    pg_server.drop(name)


@pytest.fixture
def app_db(pg_server: Database, template_db: Database) -> Iterator[Database]:
    """A fresh copy of the deployed schema for one test."""
    name = f"taproot_t_{uuid.uuid4().hex[:12]}"
    pg_server.create(name, template=template_db.name)
    db = pg_server.with_name(name)
    # As in development (`taproot up`): sign-ups may log in at once. Database settings are
    # not cloned with the template; tests of the production default set it on themselves.
    set_verified_email_requirement(db, required=False)
    try:
        yield db
    finally:
        pg_server.drop(name)

"""Fixtures for the workers suite: a database per module and real worker processes.

A module clones the deployed schema once (`jobs_db`), so processes started for the whole
module (workers, a gateway) serve every test in it; tests stay apart by using their own
tenant and prompts. `spawn` starts workers for one test and stops them at its end; their
logs are printed at teardown, which pytest shows only when the test failed.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from taproot.database import Database
from tests.stack import Process, Tenant, make_tenant, start_worker

Spawn = Callable[..., Process]


@pytest.fixture(scope="module")
def jobs_db(pg_server: Database, template_db: Database) -> Iterator[Database]:
    name = f"taproot_jobs_{uuid.uuid4().hex[:8]}"
    pg_server.create(name, template=template_db.name)
    try:
        yield pg_server.with_name(name)
    finally:
        pg_server.drop(name)


@pytest.fixture(scope="module")
def log_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("worker-logs")


@pytest.fixture
def tenant(jobs_db: Database) -> Tenant:
    return make_tenant(jobs_db)


def stop_all(processes: list[Process]) -> None:
    for process in processes:
        code = process.stop()
        print(f"--- {process.name} (pid {process.pid}, exit {code}) ---")
        print(process.output()[-6000:])


@pytest.fixture
def spawn(jobs_db: Database, log_dir: Path) -> Iterator[Spawn]:
    """start_worker(jobs_db, …) for this test; every worker is stopped at teardown."""
    started: list[Process] = []

    def start(**kwargs: Any) -> Process:
        worker = start_worker(jobs_db, log_dir, **kwargs)
        started.append(worker)
        return worker

    yield start
    stop_all(started)

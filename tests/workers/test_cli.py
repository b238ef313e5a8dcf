"""Procrastinate's own CLI works against Taproot's database: the App's connection puts the
queue schema first on search_path (and switches to the worker role) by itself."""

from __future__ import annotations

import subprocess
import sys

from taproot import ROOT
from taproot.database import Database
from tests.stack import worker_env


def test_procrastinate_healthchecks_pass_against_the_queue_schema(jobs_db: Database) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "procrastinate", "--app=workers.app.app", "healthchecks"],
        env=worker_env(jobs_db),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "DB connection: OK" in result.stdout, result.stdout
    assert "Found procrastinate_jobs table: OK" in result.stdout, result.stdout

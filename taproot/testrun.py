"""`taproot test`: every test, on a throwaway cluster, then cleaned up.

Stages: lint (ruff, mypy --strict) → throwaway cluster → sqitch deploy/verify/revert/
deploy → pgTAP (pg_prove) → pytest with the coverage floor. Any stage failing fails
the run; the cluster is destroyed whatever happens.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from taproot import ROOT, system_deps
from taproot.cluster import Cluster, free_port
from taproot.database import Database, migrate, revert
from taproot.errors import TaprootError
from taproot.settings import Settings

TEST_DB = "taproot_test"
PGTAP_DIR = ROOT / "tests" / "db"
PGTAP_HELPERS = ROOT / "db" / "test" / "helpers.sql"


def _stage(title: str) -> float:
    print(f"\n==> {title}", flush=True)
    return time.monotonic()


def _done(t0: float) -> None:
    print(f"    ({time.monotonic() - t0:.1f}s)", flush=True)


def _run(argv: list[str], env: dict[str, str] | None = None) -> int:
    return subprocess.run(argv, cwd=ROOT, env=env, check=False).returncode


def _lint() -> None:
    t0 = _stage("lint: ruff and mypy --strict")
    bindir = Path(sys.executable).parent
    if _run([str(bindir / "ruff"), "check", "."]) != 0:
        raise TaprootError("ruff found problems")
    if _run([str(bindir / "mypy")]) != 0:
        raise TaprootError("mypy --strict found problems")
    _done(t0)


def _migrations(admin: Database) -> None:
    t0 = _stage("sqitch: deploy --verify, revert, deploy --verify")
    migrate(admin)
    revert(admin)
    migrate(admin)
    _done(t0)


def _pgtap(cluster: Cluster, admin: Database) -> None:
    files = sorted(str(p.relative_to(ROOT)) for p in PGTAP_DIR.rglob("*.sql"))
    t0 = _stage(f"pgTAP: {len(files)} files with pg_prove")
    if not files:
        raise TaprootError("no pgTAP files under tests/db")
    with admin.connect() as conn:
        # pgTAP's functions are called unqualified, also after `SET ROLE anon` in a test;
        # the schema revokes EXECUTE from PUBLIC by default, so grant it back for pgTAP.
        conn.execute("CREATE EXTENSION IF NOT EXISTS pgtap WITH SCHEMA public")
        conn.execute("GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO PUBLIC")
        conn.execute(PGTAP_HELPERS.read_text())
    env = {**os.environ, **cluster.libpq_env(admin.name)}
    if _run(["pg_prove", "--failures", "--comments", *files], env=env) != 0:
        raise TaprootError("pgTAP tests failed")
    _done(t0)


def _pytest(cluster: Cluster, settings: Settings, extra: list[str]) -> None:
    t0 = _stage("pytest with coverage (floor 85%)")
    env = {
        **os.environ,
        "TAPROOT_TEST_ADMIN_URL": cluster.admin_url(),
        "TAPROOT_TEST_PG_PORT": str(cluster.port),
        "TAPROOT_AUTHENTICATOR_PASSWORD": settings.authenticator_password,
    }
    code = _run([sys.executable, "-m", "pytest", "--cov", "--cov-report=term", *extra], env=env)
    if code != 0:
        raise TaprootError(f"pytest failed (exit {code})")
    _done(t0)


STAGES = ("lint", "db", "pytest")


def run(settings: Settings, pytest_args: list[str], *, stages: tuple[str, ...] = STAGES) -> int:
    """Run the chosen stages (all by default: that is what CI runs)."""
    started = time.monotonic()
    tools = system_deps.ensure(for_tests=True)
    if "lint" in stages:
        _lint()
    if not {"db", "pytest"} & set(stages):
        return 0
    workdir = Path(tempfile.mkdtemp(prefix="taproot-test-"))
    workdir.chmod(0o755)
    cluster = Cluster(tools=tools, data_dir=workdir / "pg", port=free_port(), ephemeral=True)
    try:
        t0 = _stage(f"throwaway cluster on port {cluster.port}")
        cluster.start()
        server = Database(cluster.admin_url())
        server.bootstrap_roles(
            authenticator_password=settings.authenticator_password,
            analyst_password=settings.analyst_password,
        )
        server.create(TEST_DB)
        _done(t0)
        admin = Database(cluster.admin_url(TEST_DB))
        if "db" in stages:
            _migrations(admin)
            _pgtap(cluster, admin)
        if "pytest" in stages:
            _pytest(cluster, settings, pytest_args)
    finally:
        cluster.destroy()
        subprocess.run(["rm", "-rf", str(workdir)], check=False)
    print(f"\ntaproot test: {', '.join(stages)} passed in {time.monotonic() - started:.0f}s")
    return 0

"""Drive postgrest-js (tests/gateway/js/run.mjs) with node against a live gateway.

The JS suites need Node, the locked npm packages (installed on first use by
taproot.node_deps) and schema `jsclient` (fixtures.sql here) loaded into the fixture
database next to the spec fixtures; `js_gateway` exposes it alongside `test` and `v2`.
Test modules wrap these functions in their own fixtures.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from taproot.database import Database
from taproot.node_deps import ensure_node_packages
from tests.gateway.conftest import Gateway, GatewayFactory, mint_jwt

JS_DIR = Path(__file__).parent
SCHEMA = "jsclient"
SCHEMAS = f"test,v2,{SCHEMA}"
ROLES = ("gw_user",)
NODE_TIMEOUT = 120

_loaded: set[str] = set()
_installed: list[bool] = []


def install() -> None:
    """Node, npm and node_modules (from package-lock.json), installed when missing.

    Checked once per session whichever module asks first (the modules' fixtures call it).
    """
    if not _installed:
        ensure_node_packages(JS_DIR)
        _installed.append(True)


def load_schema(db: Database) -> None:
    """(Re)create schema jsclient in `db` once per session, before any gateway reads it."""
    if db.url in _loaded:
        return
    with db.connect() as conn:
        conn.execute((JS_DIR / "fixtures.sql").read_text())
    _loaded.add(db.url)


def reset(db: Database) -> None:
    """Put jsclient's rows back as fixtures.sql left them (writes tests call it after each)."""
    with db.connect() as conn:
        conn.execute("SELECT jsclient.reset()")


def js_gateway(db: Database, start_gateway: GatewayFactory) -> Gateway:
    """A gateway exposing test, v2 and jsclient (plans enabled for explain())."""
    load_schema(db)
    return start_gateway(PGRST_DB_SCHEMAS=SCHEMAS, PGRST_DB_PLAN_ENABLED="true")


def tokens(roles: Iterable[str] = ROLES) -> dict[str, str]:
    exp = int(time.time()) + 600
    return {role: mint_jwt({"role": role, "exp": exp}) for role in roles}


def run_cases(
    gateway: Gateway, suite: str, cases: Iterable[str] = (), *, roles: Iterable[str] = ROLES
) -> dict[str, dict[str, Any]]:
    """Run cases/<suite>.mjs (all, or `cases` in order) and return each case's result line."""
    node = shutil.which("node")
    assert node is not None, "node is not installed (taproot.node_deps should have said so)"
    env: Mapping[str, str] = {
        **os.environ,
        "GATEWAY_URL": gateway.url,
        "GATEWAY_JWTS": json.dumps(tokens(roles)),
    }
    result = subprocess.run(
        [node, "run.mjs", suite, *cases],
        cwd=JS_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=NODE_TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, f"node run.mjs {suite} failed:\n{result.stderr}"
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    return {line.pop("case"): line for line in lines}


def list_cases(suite: str) -> list[str]:
    """The case names cases/<suite>.mjs exports, in order."""
    node = shutil.which("node")
    assert node is not None
    script = (
        f"const {{ default: suite }} = await import('./cases/{suite}.mjs')\n"
        "console.log(JSON.stringify(Object.keys(suite)))"
    )
    result = subprocess.run(
        [node, "--input-type=module", "-e", script],
        cwd=JS_DIR,
        capture_output=True,
        text=True,
        timeout=NODE_TIMEOUT,
        check=True,
    )
    names: list[str] = json.loads(result.stdout)
    return names

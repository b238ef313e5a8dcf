"""Finds the Debian packages Taproot needs and installs the missing ones.

Root installs them with apt-get (one `apt-get update` first); anyone else gets the exact
command to run and a non-zero exit. A second run finds everything and does nothing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from taproot.errors import TaprootError

PG_MAJOR = "15"
PG_ROOT = Path("/usr/lib/postgresql")


@dataclass(frozen=True)
class Toolchain:
    """Where the PostgreSQL server binaries and the migration/test tools live."""

    pg_bin: Path
    pg_major: str

    def pg(self, name: str) -> str:
        return str(self.pg_bin / name)


def find_pg_bin() -> Path | None:
    """The newest installed server binaries (a client-only install has no `postgres`)."""
    override = os.environ.get("TAPROOT_PG_BIN")
    if override:
        return Path(override) if (Path(override) / "postgres").exists() else None
    candidates = sorted(
        (p for p in PG_ROOT.glob("*/bin") if (p / "postgres").exists() and (p / "initdb").exists()),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    return candidates[-1] if candidates else None


def _pgtap_installed(pg_major: str) -> bool:
    return Path(f"/usr/share/postgresql/{pg_major}/extension/pgtap.control").exists()


def _postgis_installed(pg_major: str) -> bool:
    return Path(f"/usr/share/postgresql/{pg_major}/extension/postgis.control").exists()


def missing_packages(*, for_tests: bool) -> list[str]:
    pg_bin = find_pg_bin()
    major = pg_bin.parent.name if pg_bin else PG_MAJOR
    missing: list[str] = []
    if pg_bin is None:
        missing.append(f"postgresql-{major}")  # contrib (pg_stat_statements) ships inside
    if shutil.which("sqitch") is None:
        missing.append("sqitch")
    if for_tests:
        if not _pgtap_installed(major):
            missing.append(f"postgresql-{major}-pgtap")
        if not _postgis_installed(major):  # tests/gateway: application/geo+json
            missing.append(f"postgresql-{major}-postgis-3")
        if shutil.which("pg_prove") is None:
            missing.append("libtap-parser-sourcehandler-pgtap-perl")
        if shutil.which("chromium") is None:  # tests/realtime: a real browser's EventSource
            missing.append("chromium")
        if not Path("/usr/sbin/nginx").exists():  # tests/ops: the shipped site in front
            missing.append("nginx")
        if shutil.which("openssl") is None:  # tests/ops: a self-signed certificate
            missing.append("openssl")
        if shutil.which("systemd-analyze") is None:  # tests/ops: the shipped units verify
            missing.append("systemd")
        if shutil.which("prometheus") is None:  # tests/metrics: a real server scrapes `up`
            missing.append("prometheus")
    return missing


def ensure(*, for_tests: bool = False) -> Toolchain:
    """Install what is missing (as root) or explain how to; return the toolchain."""
    missing = missing_packages(for_tests=for_tests)
    if missing:
        command = "apt-get install -y " + " ".join(missing)
        if os.geteuid() != 0:
            raise TaprootError(
                f"missing Debian packages: {' '.join(missing)}\n"
                f"run: sudo apt-get update && sudo {command}"
            )
        print(f"taproot: installing {' '.join(missing)} (apt-get)", file=sys.stderr)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        for argv in (
            ["apt-get", "update", "-qq"],
            ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing],
        ):
            result = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
            if result.returncode != 0:
                raise TaprootError(f"{' '.join(argv)} failed:\n{result.stderr.strip()[-2000:]}")
        # Debian's server package creates and starts a default cluster on 5432; Taproot
        # runs its own, so that one only costs memory.
        subprocess.run(
            ["pg_ctlcluster", PG_MAJOR, "main", "stop"], capture_output=True, check=False
        )
    pg_bin = find_pg_bin()
    if pg_bin is None:
        raise TaprootError("PostgreSQL server binaries not found after installation")
    return Toolchain(pg_bin=pg_bin, pg_major=pg_bin.parent.name)

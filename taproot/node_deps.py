"""Makes Node.js and a directory's locked npm packages available (for the JS client tests).

`ensure_node_packages(dir)` installs `node`/`npm` with apt-get when run as root (anyone
else gets the exact command and a TaprootError), then runs `npm ci` in `dir` when its
node_modules is missing or older than package-lock.json. A second call is a fast no-op.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from taproot.errors import TaprootError

TOOLS = ("node", "npm")
DEBIAN_PACKAGES = ("nodejs", "npm")
APT_UPDATE = ("apt-get", "update", "-qq")
APT_INSTALL = ("apt-get", "install", "-y", *DEBIAN_PACKAGES)
NPM_CI = ("npm", "ci", "--no-audit", "--no-fund")
# Written after a successful `npm ci` (which first deletes node_modules, marker included):
# its age is the install's age, whatever mtimes npm leaves on the files it unpacks.
INSTALL_MARKER = Path("node_modules") / ".taproot-npm-ci"


def missing_tools() -> list[str]:
    return [tool for tool in TOOLS if shutil.which(tool) is None]


def install_command() -> str:
    return f"sudo {' '.join(APT_UPDATE)} && sudo {' '.join(APT_INSTALL)}"


def ensure_node() -> None:
    """Install node and npm with apt-get as root; otherwise say which command to run."""
    missing = missing_tools()
    if not missing:
        return
    if os.geteuid() != 0:
        raise TaprootError(f"missing {' and '.join(missing)}; run: {install_command()}")
    print(f"taproot: installing {' '.join(DEBIAN_PACKAGES)} (apt-get)", file=sys.stderr)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for argv in (APT_UPDATE, APT_INSTALL):
        _run(list(argv), env=env)
    still = missing_tools()
    if still:
        raise TaprootError(f"{' and '.join(still)} still missing after apt-get install")


def packages_stale(directory: Path) -> bool:
    """True when `npm ci` must run: no install yet, or one older than the lockfile."""
    lock = directory / "package-lock.json"
    if not lock.exists():
        raise TaprootError(f"{lock} is missing: run `npm install` there and commit the lockfile")
    marker = directory / INSTALL_MARKER
    if not marker.exists():
        return True
    return marker.stat().st_mtime < lock.stat().st_mtime


def ensure_node_packages(directory: Path) -> None:
    """Node and npm present, and `directory`'s node_modules installed from its lockfile."""
    ensure_node()
    if not packages_stale(directory):
        return
    print(f"taproot: npm ci in {directory}", file=sys.stderr)
    _run(list(NPM_CI), cwd=directory)
    marker = directory / INSTALL_MARKER
    marker.parent.mkdir(exist_ok=True)  # a lockfile without dependencies installs nothing
    marker.touch()


def _run(argv: list[str], *, cwd: Path | None = None, env: dict[str, str] | None = None) -> None:
    result = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        output = (result.stderr.strip() or result.stdout.strip())[-2000:]
        raise TaprootError(f"{' '.join(argv)} failed (exit {result.returncode}):\n{output}")

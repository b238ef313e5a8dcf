"""Node and npm are installed as root or explained; `npm ci` runs only when stale."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from taproot import node_deps
from taproot.errors import TaprootError

Calls = list[tuple[list[str], Path | None]]


class FakeRun:
    """Stands in for subprocess.run: records argv/cwd, fails the argv it is told to."""

    def __init__(self, fail: Sequence[str] = ()) -> None:
        self.calls: Calls = []
        self.fail = tuple(fail)

    def __call__(self, argv: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        self.calls.append((list(argv), kwargs.get("cwd")))
        code = 100 if tuple(argv[: len(self.fail)]) == self.fail and self.fail else 0
        return subprocess.CompletedProcess(argv, code, stdout="", stderr="E: no network")


@pytest.fixture
def fake_run(monkeypatch: pytest.MonkeyPatch) -> FakeRun:
    fake = FakeRun()
    monkeypatch.setattr("subprocess.run", fake)
    return fake


@pytest.fixture
def package(tmp_path: Path) -> Path:
    (tmp_path / "package.json").write_text(json.dumps({"name": "p", "private": True}))
    (tmp_path / "package-lock.json").write_text(
        json.dumps({"name": "p", "lockfileVersion": 3, "requires": True, "packages": {}})
    )
    return tmp_path


def _with_node(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("shutil.which", lambda name: f"/usr/bin/{name}")


def test_not_root_without_node_prints_the_exact_command(
    monkeypatch: pytest.MonkeyPatch, fake_run: FakeRun, package: Path
) -> None:
    monkeypatch.setattr("shutil.which", lambda _name: None)
    monkeypatch.setattr("os.geteuid", lambda: 1000)
    with pytest.raises(TaprootError) as info:
        node_deps.ensure_node_packages(package)
    assert str(info.value) == (
        "missing node and npm; run: sudo apt-get update -qq && sudo apt-get install -y nodejs npm"
    )
    assert info.value.exit_code == 1
    assert fake_run.calls == []


def test_not_root_names_only_what_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("shutil.which", lambda name: None if name == "npm" else "/usr/bin/node")
    monkeypatch.setattr("os.geteuid", lambda: 1000)
    with pytest.raises(TaprootError, match=r"^missing npm; run: sudo apt-get update -qq && "):
        node_deps.ensure_node()


def test_root_installs_with_apt_get_then_runs_npm_ci(
    monkeypatch: pytest.MonkeyPatch, fake_run: FakeRun, package: Path
) -> None:
    installed: set[str] = set()

    def which(name: str) -> str | None:
        return f"/usr/bin/{name}" if name in installed else None

    def run(argv: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        if argv[:2] == ["apt-get", "install"]:
            installed.update(("node", "npm"))
            assert kwargs["env"]["DEBIAN_FRONTEND"] == "noninteractive"
        return fake_run(argv, **kwargs)

    monkeypatch.setattr("shutil.which", which)
    monkeypatch.setattr("os.geteuid", lambda: 0)
    monkeypatch.setattr("subprocess.run", run)
    node_deps.ensure_node_packages(package)
    assert fake_run.calls == [
        (["apt-get", "update", "-qq"], None),
        (["apt-get", "install", "-y", "nodejs", "npm"], None),
        (["npm", "ci", "--no-audit", "--no-fund"], package),
    ]


def test_root_apt_get_failure_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("shutil.which", lambda _name: None)
    monkeypatch.setattr("os.geteuid", lambda: 0)
    monkeypatch.setattr("subprocess.run", FakeRun(fail=["apt-get", "update"]))
    with pytest.raises(TaprootError, match=r"apt-get update -qq failed \(exit 100\):\nE: no net"):
        node_deps.ensure_node()


def test_root_install_that_leaves_node_missing_is_an_error(
    monkeypatch: pytest.MonkeyPatch, fake_run: FakeRun
) -> None:
    monkeypatch.setattr("shutil.which", lambda _name: None)
    monkeypatch.setattr("os.geteuid", lambda: 0)
    with pytest.raises(TaprootError, match="node and npm still missing after apt-get install"):
        node_deps.ensure_node()


def test_npm_ci_runs_once_then_is_a_no_op_until_the_lockfile_changes(
    monkeypatch: pytest.MonkeyPatch, fake_run: FakeRun, package: Path
) -> None:
    _with_node(monkeypatch)
    npm_ci = (["npm", "ci", "--no-audit", "--no-fund"], package)
    node_deps.ensure_node_packages(package)
    assert fake_run.calls == [npm_ci]
    node_deps.ensure_node_packages(package)
    assert fake_run.calls == [npm_ci]
    lock = package / "package-lock.json"
    marker = package / node_deps.INSTALL_MARKER
    newer = marker.stat().st_mtime + 5
    os.utime(lock, (newer, newer))
    node_deps.ensure_node_packages(package)
    assert fake_run.calls == [npm_ci, npm_ci]


def test_node_modules_without_the_marker_is_reinstalled(
    monkeypatch: pytest.MonkeyPatch, fake_run: FakeRun, package: Path
) -> None:
    _with_node(monkeypatch)
    (package / "node_modules").mkdir()  # e.g. left by a plain `npm install`
    assert node_deps.packages_stale(package)
    node_deps.ensure_node_packages(package)
    assert len(fake_run.calls) == 1
    assert not node_deps.packages_stale(package)


def test_npm_ci_failure_is_reported(monkeypatch: pytest.MonkeyPatch, package: Path) -> None:
    _with_node(monkeypatch)
    monkeypatch.setattr("subprocess.run", FakeRun(fail=["npm", "ci"]))
    with pytest.raises(TaprootError, match=r"npm ci --no-audit --no-fund failed \(exit 100\)"):
        node_deps.ensure_node_packages(package)
    assert node_deps.packages_stale(package)


def test_missing_lockfile_is_an_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _with_node(monkeypatch)
    with pytest.raises(TaprootError, match=r"package-lock\.json is missing"):
        node_deps.ensure_node_packages(tmp_path)


def test_real_npm_ci_on_a_package_without_dependencies(package: Path) -> None:
    node_deps.ensure_node_packages(package)
    assert (package / node_deps.INSTALL_MARKER).exists()
    assert not node_deps.packages_stale(package)

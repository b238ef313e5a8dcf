"""Missing Debian packages are installed as root, or explained with the exact command."""

from __future__ import annotations

from pathlib import Path

import pytest

from taproot import system_deps
from taproot.errors import TaprootError


def test_everything_is_found_here() -> None:
    assert system_deps.missing_packages(for_tests=True) == []
    tools = system_deps.ensure(for_tests=True)
    assert (tools.pg_bin / "postgres").exists()
    assert tools.pg("initdb").endswith("/initdb")


def test_not_root_without_binaries_prints_the_install_command(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(system_deps, "PG_ROOT", tmp_path)
    monkeypatch.delenv("TAPROOT_PG_BIN", raising=False)
    monkeypatch.setattr("shutil.which", lambda _name: None)
    monkeypatch.setattr("os.geteuid", lambda: 1000)
    with pytest.raises(TaprootError) as info:
        system_deps.ensure(for_tests=True)
    message = str(info.value)
    assert "sudo apt-get install -y postgresql-15 sqitch" in message
    assert "libtap-parser-sourcehandler-pgtap-perl" in message
    assert info.value.exit_code == 1


def test_pg_bin_override(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TAPROOT_PG_BIN", str(tmp_path))
    assert system_deps.find_pg_bin() is None
    (tmp_path / "postgres").touch()
    assert system_deps.find_pg_bin() == tmp_path

"""The test command's database stage: deploy/revert/redeploy, then pg_prove, then cleanup."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from taproot import testrun
from taproot.database import migrate
from taproot.errors import TaprootError
from taproot.settings import load_settings

PASSING = """BEGIN;
SELECT plan(2);
SELECT has_schema('api');
SELECT ok(NOT has_schema_privilege('anon', 'auth', 'USAGE'), 'anon stays out of auth');
SELECT * FROM finish();
ROLLBACK;
"""
FAILING = """BEGIN;
SELECT plan(1);
SELECT is(1, 2, 'one is two');
SELECT * FROM finish();
ROLLBACK;
"""


@pytest.fixture
def workdirs(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The throwaway folders the run creates (other runs may share /tmp meanwhile)."""
    made: list[Path] = []
    real_mkdtemp = tempfile.mkdtemp

    def recording_mkdtemp(prefix: str) -> str:
        path = real_mkdtemp(prefix=prefix)
        made.append(Path(path))
        return path

    monkeypatch.setattr("tempfile.mkdtemp", recording_mkdtemp)
    return made


def test_db_stage_passes_and_cleans_up(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    workdirs: list[Path],
) -> None:
    (tmp_path / "passing.sql").write_text(PASSING)
    monkeypatch.setattr(testrun, "PGTAP_DIR", tmp_path)
    monkeypatch.setattr(testrun, "ROOT", Path("/"))
    assert testrun.run(load_settings(), [], stages=("db",)) == 0
    out = capsys.readouterr().out
    assert "sqitch: deploy --verify, revert, deploy --verify" in out
    assert "pgTAP: 1 files" in out
    assert len(workdirs) == 1
    assert not workdirs[0].exists()


def test_failing_pgtap_fails_the_run(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, workdirs: list[Path]
) -> None:
    (tmp_path / "failing.sql").write_text(FAILING)
    monkeypatch.setattr(testrun, "PGTAP_DIR", tmp_path)
    # The passing test above covers the migrations; this one is about pg_prove's verdict.
    monkeypatch.setattr(testrun, "_migrations", migrate)
    monkeypatch.setattr(testrun, "ROOT", Path("/"))
    with pytest.raises(TaprootError, match="pgTAP tests failed"):
        testrun.run(load_settings(), [], stages=("db",))
    assert len(workdirs) == 1
    assert not workdirs[0].exists()


def test_no_pgtap_files_is_an_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(testrun, "PGTAP_DIR", tmp_path)
    with pytest.raises(TaprootError, match="no pgTAP files"):
        testrun.run(load_settings(), [], stages=("db",))

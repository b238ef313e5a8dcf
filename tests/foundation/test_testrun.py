"""The test command's database stage: deploy/revert/redeploy, then pg_prove, then cleanup."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from taproot import testrun
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


def _clusters() -> set[str]:
    return {p.name for p in Path(tempfile.gettempdir()).glob("taproot-test-*")}


def test_db_stage_passes_and_cleans_up(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "passing.sql").write_text(PASSING)
    monkeypatch.setattr(testrun, "PGTAP_DIR", tmp_path)
    monkeypatch.setattr(testrun, "ROOT", Path("/"))
    before = _clusters()
    assert testrun.run(load_settings(), [], stages=("db",)) == 0
    out = capsys.readouterr().out
    assert "sqitch: deploy --verify, revert, deploy --verify" in out
    assert "pgTAP: 1 files" in out
    assert _clusters() == before


def test_failing_pgtap_fails_the_run(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "failing.sql").write_text(FAILING)
    monkeypatch.setattr(testrun, "PGTAP_DIR", tmp_path)
    monkeypatch.setattr(testrun, "ROOT", Path("/"))
    before = _clusters()
    with pytest.raises(TaprootError, match="pgTAP tests failed"):
        testrun.run(load_settings(), [], stages=("db",))
    assert _clusters() == before


def test_no_pgtap_files_is_an_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(testrun, "PGTAP_DIR", tmp_path)
    with pytest.raises(TaprootError, match="no pgTAP files"):
        testrun.run(load_settings(), [], stages=("db",))

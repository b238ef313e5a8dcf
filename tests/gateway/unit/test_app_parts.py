"""Pieces of the app that need no database: CORS preflight, the CLI entry (metrics:
tests/metrics)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gateway import __main__ as cli
from gateway.app import cors_preflight


def scope(headers: dict[str, str]) -> dict[str, Any]:
    return {"headers": [(k.encode(), v.encode()) for k, v in headers.items()]}


def test_cors_preflight() -> None:
    resp = cors_preflight(
        scope(
            {
                "origin": "http://x",
                "access-control-request-method": "POST",
                "access-control-request-headers": "Foo, Bar",
            }
        )
    )
    assert resp is not None and resp.status == 200
    headers = dict(resp.headers)
    assert headers[b"access-control-allow-headers"] == (
        b"Authorization, Foo, Bar, Accept, Accept-Language, Content-Language"
    )
    assert cors_preflight(scope({"origin": "http://x"})) is None


def test_host_spellings() -> None:
    assert cli._host("!4") == "0.0.0.0"  # noqa: S104
    assert cli._host("*6") == "::"
    assert cli._host("127.0.0.1") == "127.0.0.1"


def test_main_reports_configuration_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    conf = tmp_path / "gw.conf"
    conf.write_text('db-pool = "lots"\n')
    monkeypatch.setenv(cli._FILE_VAR, "")  # main() sets it; monkeypatch restores it
    monkeypatch.delenv("PGRST_DB_POOL", raising=False)
    assert cli.main([str(conf)]) == 2
    assert "db-pool" in capsys.readouterr().err
    assert cli.main(["--help"]) == 0


def test_main_runs_uvicorn_with_the_configuration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    conf = tmp_path / "gw.conf"
    conf.write_text('server-port = 4321\nserver-workers = 3\nlog-level = "info"\n')
    seen: dict[str, Any] = {}
    import uvicorn

    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: seen.update(app=app, **kw))
    monkeypatch.setenv(cli._FILE_VAR, "")
    for name in ("PGRST_SERVER_PORT", "PGRST_SERVER_WORKERS", "PGRST_LOG_LEVEL"):
        monkeypatch.delenv(name, raising=False)
    assert cli.main([str(conf)]) == 0
    assert seen["app"] == "gateway.__main__:factory" and seen["factory"] is True
    assert (seen["port"], seen["workers"], seen["loop"]) == (4321, 3, "uvloop")
    # httptools, guarded against slow and oversized request heads (ratelimit.slowloris)
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    assert issubclass(seen["http"], HttpToolsProtocol)
    assert cli.factory().config.server_port == 4321

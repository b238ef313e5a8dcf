"""Mail settings: validated at start-up, each bad value named; what `taproot up` passes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from taproot import ROOT
from taproot.settings import Settings
from taproot.target import resolve
from taproot.up import mail_dir, worker_env
from workers.settings import WorkerSettings


def make(**env: str) -> WorkerSettings:
    return WorkerSettings.model_validate(env)


def test_defaults_and_ports_by_tls_mode() -> None:
    config = make()
    assert config.smtp_host == "" and config.smtp_tls == "starttls"
    assert config.smtp_port_or_default == 587
    assert make(TAPROOT_SMTP_TLS="tls").smtp_port_or_default == 465
    assert make(TAPROOT_SMTP_TLS="none").smtp_port_or_default == 25
    assert make(TAPROOT_SMTP_PORT="2525").smtp_port_or_default == 2525
    assert make(TAPROOT_SMTP_PORT="", TAPROOT_SMTP_TLS="tls").smtp_port_or_default == 465
    assert (
        make(TAPROOT_PUBLIC_URL="https://app.example.com/").public_url == "https://app.example.com"
    )


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"TAPROOT_SMTP_TLS": "ssl"}, "TAPROOT_SMTP_TLS"),
        ({"TAPROOT_SMTP_PORT": "0"}, "TAPROOT_SMTP_PORT"),
        ({"TAPROOT_PUBLIC_URL": "app.example.com"}, "TAPROOT_PUBLIC_URL"),
        ({"TAPROOT_PUBLIC_URL": "https://app.example.com/?x=1"}, "TAPROOT_PUBLIC_URL"),
        ({"TAPROOT_MAIL_FROM": "nobody"}, "TAPROOT_MAIL_FROM"),
        ({"TAPROOT_SMTP_USER": "mailer"}, "TAPROOT_SMTP_PASSWORD"),
    ],
)
def test_a_bad_setting_stops_the_worker_naming_it(
    env: dict[str, str], named: str, tmp_path: Path
) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "workers"],
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith("worker: invalid worker setting")
    assert named in proc.stderr


def test_up_gives_the_workers_the_inbox_and_the_public_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TAPROOT_MAIL_DIR", raising=False)
    monkeypatch.delenv("TAPROOT_PUBLIC_URL", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    settings = Settings.model_validate({"TAPROOT_HOME": str(tmp_path), "API_PORT": "3456"})
    env = worker_env(resolve(settings), settings, None)
    assert env["TAPROOT_MAIL_DIR"] == str(tmp_path.resolve() / "mail") == str(mail_dir(settings))
    assert env["TAPROOT_PUBLIC_URL"] == "http://localhost:3456"
    monkeypatch.setenv("TAPROOT_PUBLIC_URL", "https://app.example.com")
    monkeypatch.setenv("TAPROOT_MAIL_DIR", str(tmp_path / "elsewhere"))
    env = worker_env(resolve(settings), settings, None)
    assert env["TAPROOT_PUBLIC_URL"] == "https://app.example.com"
    assert env["TAPROOT_MAIL_DIR"] == str(tmp_path / "elsewhere")

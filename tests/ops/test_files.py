"""The shipped production files parse with the tools that read them.

systemd-analyze verifies the units (paths pointed at this checkout), the gateway loads
ops/etc/gateway.conf with the example environment, and the sidecar's and the workers'
settings accept the example environment.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from taproot import ROOT

OPS = ROOT / "ops"


def example_env() -> dict[str, str]:
    """The uncommented VARIABLE=value lines of ops/etc/taproot.env.example."""
    env: dict[str, str] = {}
    for line in (OPS / "etc" / "taproot.env.example").read_text().splitlines():
        if line and not line.startswith("#"):
            name, sep, value = line.partition("=")
            assert sep, line
            env[name] = value
    return env


def test_the_units_verify(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    assert analyze is not None, "systemd-analyze comes with the test packages (system_deps)"
    units = [*sorted((OPS / "systemd").glob("taproot*.service")), OPS / "systemd/taproot.target"]
    names = []
    for unit in units:
        name = unit.name.replace("@.service", "@1.service")
        text = unit.read_text().replace("/opt/taproot/.venv/bin/python", sys.executable)
        (tmp_path / name).write_text(text.replace("/opt/taproot", str(ROOT)))
        names.append(f"./{name}")
    result = subprocess.run(
        [analyze, "verify", "--man=no", *names],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    problems = [
        line
        for line in (result.stdout + result.stderr).splitlines()
        # this machine has no `taproot` user and no network-online provider; not the units'
        if line.strip() and "network-online" not in line
    ]
    assert not problems, "\n".join(problems)
    for unit in units:
        text = unit.read_text()
        if unit.suffix == ".service" and "migrate" not in unit.name:
            for key in ("Restart=always", "User=taproot", "KillSignal=SIGTERM", "LimitNOFILE="):
                assert key in text, f"{unit.name}: {key}"


def test_the_gateway_reads_the_shipped_config() -> None:
    from gateway.config import load

    config = load(example_env(), config_file=OPS / "etc" / "gateway.conf")
    assert config.db_schemas == ("api",)
    assert config.server_root_path == "/api"
    assert config.realtime is not None
    assert config.realtime.path == "/api/realtime"
    assert config.limits.trusted_hops == 1
    assert config.taproot_proxy is None  # nginx routes /api/ai/ to the sidecar hosts


def test_the_sidecar_and_the_workers_accept_the_example_env(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from sidecar.settings import load as sidecar_settings

    from workers.settings import WorkerSettings

    env = example_env()
    sidecar = sidecar_settings(env)
    assert sidecar.port == 3001
    assert sidecar.trusted_proxies == 1
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    worker = WorkerSettings()
    assert worker.db_uri.startswith("postgresql://authenticator:")

"""docs/img/metrics.png: Prometheus's graph of a key query against a running stack.

`python bench/metrics_screenshot.py [--out docs/img/metrics.png] [--seconds 60]` starts
`taproot up` (temp TAPROOT_HOME, free ports, 2 gateway processes) and Prometheus with the
shipped scrape config (ops/prometheus), sends REST, AI and run_prompt traffic for a while,
then has headless Chromium screenshot the graph of gateway requests per second by route
class. Every process it started is stopped at the end. Run once by hand, not in the tests.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

import httpx

from taproot import ROOT
from taproot.cluster import free_port

QUERY = "sum by (route) (rate(gateway_requests_total[30s]))"
ALICE = {"email": "alice@demo.taproot.dev", "password": "alice-demo-password"}
WORKSPACE = "11111111-1111-4111-8111-111111111111"
PROMPT = "5a000000-0000-4000-8000-000000000001"


def _wait(url: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{url} not ready")


def _traffic(api: str, seconds: float) -> None:
    token = httpx.post(f"{api}/rpc/login", json=ALICE, timeout=10).json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    ai = {**auth, "X-Taproot-Workspace": WORKSPACE}
    end = time.monotonic() + seconds
    with httpx.Client(timeout=30) as client:
        while time.monotonic() < end:
            for _ in range(random.randint(5, 15)):
                client.get(f"{api}/prompts?select=id", headers=auth)
            client.get(f"{api}/health")
            client.get(f"{api}/nowhere", headers=auth)  # a 404 now and then
            body = {"model": "demo-model", "messages": [{"role": "user", "content": "hi"}]}
            client.post(f"{api}/ai/v1/chat/completions", json=body, headers=ai)
            client.post(
                f"{api}/rpc/run_prompt",
                json={"prompt_id": PROMPT, "inputs": {"text": "Taproot", "words": 5}},
                headers=auth,
            )
            time.sleep(0.2)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img" / "metrics.png")
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="taproot-metrics-"))
    tmp.chmod(0o755)
    api_port, prom_port = free_port(), free_port()
    env = {
        **os.environ,
        "TAPROOT_HOME": str(tmp / "home"),
        "TAPROOT_PG_PORT": str(free_port()),
        "API_PORT": str(api_port),
        "SIDECAR_PORT": str(free_port()),
        "TAPROOT_GATEWAY_WORKERS": "2",
    }
    env.pop("DATABASE_URL", None)
    config = (ROOT / "ops" / "prometheus" / "prometheus.yml").read_text()
    for old, new in (
        ("127.0.0.1:3000", f"127.0.0.1:{api_port}"),
        ("scrape_interval: 15s", "scrape_interval: 2s"),
        ("scrape_timeout: 5s", "scrape_timeout: 2s"),
    ):
        config = config.replace(old, new)
    (tmp / "prometheus.yml").write_text(config)
    shutil.copy(ROOT / "ops" / "prometheus" / "alerts.yml", tmp / "alerts.yml")
    up = subprocess.Popen([sys.executable, "-m", "taproot", "up"], env=env, cwd=ROOT)
    prom: subprocess.Popen[bytes] | None = None
    try:
        _wait(f"http://127.0.0.1:{api_port}/api/health")
        prom = subprocess.Popen(
            [
                "prometheus",
                f"--config.file={tmp / 'prometheus.yml'}",
                f"--storage.tsdb.path={tmp / 'data'}",
                f"--web.listen-address=127.0.0.1:{prom_port}",
                "--log.level=warn",
            ]
        )
        _wait(f"http://127.0.0.1:{prom_port}/-/ready")
        _traffic(f"http://127.0.0.1:{api_port}/api", args.seconds)
        time.sleep(4)
        graph = f"http://127.0.0.1:{prom_port}/graph?" + urlencode(
            {"g0.expr": QUERY, "g0.tab": "0", "g0.range_input": "2m", "g0.stacked": "0"}
        )
        args.out.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                "chromium",
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                "--window-size=1400,900",
                "--virtual-time-budget=15000",
                f"--screenshot={args.out.resolve()}",
                graph,
            ],
            check=True,
            capture_output=True,
        )
        print(f"wrote {args.out}")
    finally:
        if prom is not None:
            prom.terminate()
            prom.wait(timeout=30)
        up.send_signal(signal.SIGINT)
        up.wait(timeout=60)
        subprocess.run(
            [sys.executable, "-m", "taproot", "db", "reset"],
            env=env,
            capture_output=True,
            check=False,
        )
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

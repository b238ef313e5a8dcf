"""`taproot up`: the whole backend on one machine, stopped cleanly by Ctrl-C.

Order: lock → ports → cluster → roles, database, migrations, seed → gateway → wait.
Whatever fails or whichever signal arrives, every process it started is stopped.
"""

from __future__ import annotations

import os
import sys
import time

import requests

from taproot.cluster import port_is_free
from taproot.errors import TaprootError
from taproot.lock import StackLock
from taproot.provision import jwt_secret, prepare, seed
from taproot.settings import Settings
from taproot.supervisor import Supervisor
from taproot.target import Target, resolve


def _check_ports(settings: Settings) -> None:
    if not port_is_free(settings.api_port, settings.api_host):
        raise TaprootError(
            f"port {settings.api_port} is already in use; set API_PORT to choose another"
        )


def gateway_env(target: Target, settings: Settings, secret: str) -> dict[str, str]:
    return {
        **os.environ,
        "PGRST_DB_URI": target.app_url("authenticator", settings.authenticator_password),
        "PGRST_DB_SCHEMAS": "api",
        "PGRST_DB_ANON_ROLE": "anon",
        "PGRST_DB_EXTRA_SEARCH_PATH": "extensions",
        "PGRST_JWT_SECRET": secret,
        "PGRST_JWT_AUD": "taproot",
        "PGRST_SERVER_HOST": settings.api_host,
        "PGRST_SERVER_PORT": str(settings.api_port),
        "PGRST_SERVER_ROOT_PATH": "/api",
        "PGRST_SERVER_WORKERS": str(settings.gateway_workers),
    }


def _wait_healthy(url: str, sup: Supervisor, timeout: float = 30.0) -> bool:
    """True once `url` answers 200; False when a signal asked us to stop meanwhile."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if sup.stopping:
            return False
        for name, proc in sup.children.items():
            if proc.poll() is not None:
                raise TaprootError(f"{name} exited during start-up (code {proc.returncode})")
        try:
            if requests.get(url, timeout=1).status_code == 200:
                return True
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise TaprootError(f"{url} did not answer 200 within {timeout:.0f}s")


def run(settings: Settings) -> int:
    started = time.monotonic()
    lock = StackLock(settings.home / "up.lock")
    lock.acquire()
    sup = Supervisor()
    sup.install_signal_handlers()
    target: Target | None = None
    started_cluster = False
    try:
        _check_ports(settings)
        target = resolve(settings)
        if target.cluster is not None and not target.cluster.running():
            target.cluster.start()
            started_cluster = True
        created = prepare(target.db, settings)
        # Demo accounts have published passwords: only a new embedded (development)
        # database gets them, never a server reached through DATABASE_URL.
        if created and target.cluster is not None:
            seed(target.db)
        secret = jwt_secret(target.db, settings)
        env = gateway_env(target, settings, secret)
        sup.spawn("gateway", [sys.executable, "-m", "gateway"], env)
        base = f"http://{settings.api_host}:{settings.api_port}"
        if not _wait_healthy(f"{base}/api/health", sup):
            return 0  # Ctrl-C during start-up: stop what started, as after it
        print(
            f"taproot: up in {time.monotonic() - started:.1f}s\n"
            f"  REST API   {base}/api/\n"
            f"  health     {base}/api/health\n"
            f"  database   {target.db.url if target.cluster else '(DATABASE_URL)'}\n"
            "  demo token (accounts in docs/data-model.md, 'Demo data and getting a token'):\n"
            f"    curl -s -X POST {base}/api/rpc/login -H 'Content-Type: application/json' \\\n"
            """      -d '{"email":"alice@demo.taproot.dev","password":"alice-demo-password"}'\n"""
            "Press Ctrl-C to stop.",
            file=sys.stderr,
        )
        died = sup.wait()
        if died is not None:
            print(f"taproot: {died} exited unexpectedly; stopping everything", file=sys.stderr)
            return 1
        return 0
    finally:
        print("taproot: stopping", file=sys.stderr)
        sup.stop_all()
        if started_cluster and target is not None and target.cluster is not None:
            target.cluster.stop()
        lock.release()

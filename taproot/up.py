"""`taproot up`: the whole backend on one machine, stopped cleanly by Ctrl-C.

Order: lock → ports → cluster → roles, database, migrations, seed → sidecar, workers,
gateway → wait. The gateway serves the sidecar's routes (/api/ai) on the same origin.
Workers and the sidecar are restarted when they die; whatever fails or whichever signal
arrives, every process it started is stopped.
"""

from __future__ import annotations

import os
import secrets
import shutil
import sys
import time
from pathlib import Path

import requests

from taproot.cluster import port_is_free
from taproot.errors import TaprootError
from taproot.lock import StackLock
from taproot.provision import jwt_secret, prepare, seed
from taproot.settings import Settings
from taproot.supervisor import Supervisor
from taproot.target import Target, resolve


def _check_ports(settings: Settings) -> None:
    for port, host, variable in (
        (settings.api_port, settings.api_host, "API_PORT"),
        (settings.sidecar_port, settings.sidecar_host, "SIDECAR_PORT"),
    ):
        if not port_is_free(port, host):
            raise TaprootError(f"port {port} is already in use; set {variable} to choose another")


def secrets_key(target: Target, settings: Settings) -> str | None:
    """TAPROOT_SECRETS_KEY, or for the embedded cluster one generated once and kept beside it."""
    if settings.secrets_key or target.cluster is None:
        return settings.secrets_key
    path = Path(settings.home) / "secrets.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def metrics_dir(settings: Settings, component: str | None = None) -> Path:
    """Where the processes of `component` write their metrics (PROMETHEUS_MULTIPROC_DIR);
    without a component, the group directory the gateway's /metrics reads as a whole."""
    path = Path(settings.home).resolve() / "metrics"
    if component is not None:
        path = path / component
    path.mkdir(parents=True, exist_ok=True)
    return path


def reset_metrics(settings: Settings) -> None:
    """A new stack starts from empty metrics files (counters restart at 0, as on a reboot)."""
    shutil.rmtree(metrics_dir(settings), ignore_errors=True)


def sidecar_env(target: Target, settings: Settings, secret: str, key: str | None) -> dict[str, str]:
    env = {
        **os.environ,
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir(settings, "sidecar")),
        "TAPROOT_SIDECAR_DB_URI": target.app_url("authenticator", settings.authenticator_password),
        "TAPROOT_JWT_SECRET": secret,
        "TAPROOT_JWT_AUD": "taproot",
        "SIDECAR_HOST": settings.sidecar_host,
        "SIDECAR_PORT": str(settings.sidecar_port),
        # behind the gateway's proxy, which appends the client to X-Forwarded-For
        "TAPROOT_SIDECAR_TRUSTED_PROXIES": "1",
    }
    if key:
        env["TAPROOT_SECRETS_KEY"] = key
    return env


def mail_dir(settings: Settings) -> Path:
    """The local inbox (a Maildir) the workers keep mail in when no SMTP host is set."""
    return Path(os.environ.get("TAPROOT_MAIL_DIR") or Path(settings.home).resolve() / "mail")


def worker_env(target: Target, settings: Settings, key: str | None) -> dict[str, str]:
    env = {
        **os.environ,
        "TAPROOT_WORKER_DB_URI": target.app_url("authenticator", settings.authenticator_password),
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir(settings, "worker")),
        # Account mail: TAPROOT_SMTP_* pass through from the environment; without a host
        # the mail lands in the local inbox `taproot mail` reads. Links point at this stack.
        "TAPROOT_MAIL_DIR": str(mail_dir(settings)),
        "TAPROOT_PUBLIC_URL": os.environ.get("TAPROOT_PUBLIC_URL")
        or f"http://localhost:{settings.api_port}",
    }
    if key:
        env["TAPROOT_SECRETS_KEY"] = key
    return env


# The gateway settings every Taproot stack shares (`taproot up`, and the benchmarks, which
# build the rest of their environment themselves and must not drift from this).
GATEWAY_DEFAULTS = {
    "PGRST_DB_SCHEMAS": "api",
    "PGRST_DB_ANON_ROLE": "anon",
    "PGRST_DB_EXTRA_SEARCH_PATH": "extensions",
    "PGRST_JWT_AUD": "taproot",
    # Verified tokens are kept up to an hour (never past exp): a client sends the same
    # token on every request, and PostgREST 13's default (0) verifies it every time.
    "PGRST_JWT_CACHE_MAX_LIFETIME": "3600",
    "PGRST_SERVER_ROOT_PATH": "/api",
}


def gateway_env(target: Target, settings: Settings, secret: str) -> dict[str, str]:
    return {
        **os.environ,
        **GATEWAY_DEFAULTS,
        "PGRST_DB_URI": target.app_url("authenticator", settings.authenticator_password),
        "PGRST_JWT_SECRET": secret,
        "PGRST_SERVER_HOST": settings.api_host,
        "PGRST_SERVER_PORT": str(settings.api_port),
        "PGRST_SERVER_WORKERS": str(settings.gateway_workers),
        "TAPROOT_PROXY": f"/api/ai=http://{settings.sidecar_host}:{settings.sidecar_port}",
        # one scrape of /metrics: every gateway, sidecar and worker process of this stack,
        # and the job queue read as service_role (docs/operations.md, "Metrics")
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir(settings, "gateway")),
        "TAPROOT_METRICS_GROUP_DIR": str(metrics_dir(settings)),
        "TAPROOT_METRICS_QUEUE_ROLE": "service_role",
        **REALTIME_ENV,
        **RATE_LIMIT_ENV,
        **{k: os.environ.get(k, v) for k, v in ready_env(settings).items()},
    }


def ready_env(settings: Settings) -> dict[str, str]:
    """GET /api/ready's checks (docs/operations.md): the schema at the plan's last change, a
    worker's heartbeat, the queue lag, the sidecar; each variable may be overridden."""
    from taproot.database import plan_changes

    return {
        "TAPROOT_REQUEST_ID_ECHO": "true",
        "TAPROOT_READY_FUNCTION": "app.readiness",
        "TAPROOT_EXPECTED_CHANGE": plan_changes()[-1],
        "TAPROOT_READY_PROBES": (
            f"sidecar=http://{settings.sidecar_host}:{settings.sidecar_port}/api/ai/health"
        ),
    }


# The shared rate limiter (docs/rate-limits.md): Taproot's SQL function for auth routes.
RATE_LIMIT_ENV = {"PGRST_RATE_LIMIT_FUNCTION": "ratelimit.check"}

# GET /api/realtime (docs/realtime.md): Taproot's feed, topic check and channels.
REALTIME_ENV = {
    "PGRST_REALTIME_ENABLED": "true",
    "PGRST_REALTIME_AUTHORIZE": "app.realtime_channels",
    "PGRST_REALTIME_FEED": "app.realtime_feed",
    "PGRST_REALTIME_ROLE": "service_role",
    "PGRST_REALTIME_CHANNEL": "taproot_events",
    "PGRST_REALTIME_DELTA_CHANNEL": "taproot_deltas",
}


def _mail_line(settings: Settings) -> str:
    if os.environ.get("TAPROOT_SMTP_HOST"):
        return f"sent through {os.environ['TAPROOT_SMTP_HOST']} (TAPROOT_SMTP_HOST)"
    return f"kept in the local inbox {mail_dir(settings)}, read it with `taproot mail`"


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
        key = secrets_key(target, settings)
        reset_metrics(settings)
        sup.spawn(
            "sidecar",
            [sys.executable, "-m", "sidecar"],
            sidecar_env(target, settings, secret, key),
            restart=True,
        )
        for n in range(settings.worker_processes):
            sup.spawn(
                f"worker-{n + 1}",
                [sys.executable, "-m", "workers", "--name", f"worker-{n + 1}"],
                worker_env(target, settings, key),
                restart=True,
            )
        sup.spawn(
            "gateway", [sys.executable, "-m", "gateway"], gateway_env(target, settings, secret)
        )
        base = f"http://{settings.api_host}:{settings.api_port}"
        if not _wait_healthy(f"{base}/api/health", sup):
            return 0  # Ctrl-C during start-up: stop what started, as after it
        sidecar = f"http://{settings.sidecar_host}:{settings.sidecar_port}/api/ai/health"
        if not _wait_healthy(sidecar, sup):
            return 0
        print(
            f"taproot: up in {time.monotonic() - started:.1f}s\n"
            f"  REST API   {base}/api/\n"
            f"  health     {base}/api/health\n"
            f"  AI         {base}/api/ai/v1/  (OpenAI and Anthropic compatible)\n"
            f"  workers    {settings.worker_processes} process(es), `taproot worker` adds more\n"
            f"  mail       {_mail_line(settings)}\n"
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

"""The system under load: a throwaway embedded cluster with the full sqitch plan and the
generated dataset (dataset.sql), then the sidecar, one worker and the gateway configured
as `taproot up` configures them, and the per-process memory the soak compares.

The front door's per-client caps are lifted (every load-generator connection comes from
127.0.0.1, so they would measure the cap, not the server); the AI and auth limits too,
because ten thousand users share one client address here. Nothing else differs from
`taproot up`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bench.harness import stop, wait_ready
from taproot import ROOT, system_deps
from taproot.cluster import Cluster, free_port
from taproot.database import Database, migrate, plan_changes
from taproot.up import GATEWAY_DEFAULTS, RATE_LIMIT_ENV, REALTIME_ENV

HERE = Path(__file__).parent
AUTHENTICATOR_PASSWORD = "bench-authenticator"
SECRETS_KEY = "bench-secrets-key-bench-secrets-key-0123"
GATEWAY_WORKERS = 2


@dataclass
class Stack:
    cluster: Cluster
    admin: Database
    secret: str  # auth.jwt_secret(): what the gateway verifies tokens with
    base_url: str  # the gateway, e.g. http://127.0.0.1:PORT
    db_url: str  # authenticator over TCP, as the gateway connects (pgbench uses it too)
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    load_seconds: float = 0.0  # dataset generation, wall time
    logs: Path = Path()

    def roots(self) -> dict[str, int]:
        pg = self.cluster.pid()
        assert pg is not None
        return {**{name: p.pid for name, p in self.procs.items()}, "postgres": pg}


def load_dataset(admin: Database) -> float:
    """dataset.sql as the superuser; its wall time in seconds."""
    started = time.monotonic()
    with admin.connect() as conn:
        conn.execute((HERE / "dataset.sql").read_text())
    return time.monotonic() - started


def _env(extra: dict[str, str]) -> dict[str, str]:
    # no provider keys: the registry falls back to the fake provider (ai/registry.py)
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TAPROOT_", "PGRST_", "OPENAI", "ANTHROPIC"))
    }
    return {
        **base,
        "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'api-sidecar'}",
        "PYTHONUNBUFFERED": "1",
        **extra,
    }


@contextmanager
def stack(
    *,
    keepalive: int | None = None,
    gateway_workers: int = GATEWAY_WORKERS,
    gateway_extra: dict[str, str] | None = None,
    gateway_root: Path | None = None,
    http_server: str = "uvicorn",
) -> Iterator[Stack]:
    """The stack; `gateway_extra` adds gateway settings, `gateway_root` serves the gateway
    from another source tree (an A/B run: e.g. `git archive <commit>` unpacked) and
    `http_server` = "granian" serves it with granian instead of uvicorn (an experiment)."""
    tools = system_deps.ensure()
    workdir = Path(tempfile.mkdtemp(prefix="taproot-bench-load-"))
    workdir.chmod(0o755)
    cluster = Cluster(tools=tools, data_dir=workdir / "pg", port=free_port())
    cluster.start()
    procs: dict[str, subprocess.Popen[bytes]] = {}
    logs = workdir / "logs"
    logs.mkdir()
    try:
        server = Database(cluster.admin_url())
        server.bootstrap_roles(
            authenticator_password=AUTHENTICATOR_PASSWORD, analyst_password="bench-analyst"
        )
        server.create("bench")
        admin = server.with_name("bench")
        migrate(admin)
        load_seconds = load_dataset(admin)
        with admin.connect() as conn:
            # The ceiling replays the SQL the gateway sent, parameters included, read from
            # the server log (bench.harness.capture_sql). The schema keeps authenticator's
            # parameters out of the log (authenticator_log_parameters); the benchmark's are
            # synthetic, so this throwaway database lets the cluster setting decide.
            conn.execute(
                "ALTER ROLE authenticator IN DATABASE bench RESET log_parameter_max_length"
            )
        with admin.connect() as conn:
            row = conn.execute("SELECT auth.jwt_secret()").fetchone()
        assert row is not None
        secret = str(row[0])
        db_url = (
            f"postgresql://authenticator:{AUTHENTICATOR_PASSWORD}@127.0.0.1:{cluster.port}/bench"
        )
        sidecar_port, gateway_port = free_port(), free_port()

        def spawn(
            name: str, argv: list[str], env: dict[str, str], cwd: Path = ROOT
        ) -> subprocess.Popen[bytes]:
            with (logs / f"{name}.log").open("wb") as out:
                proc = subprocess.Popen(
                    argv, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT
                )
            procs[name] = proc
            return proc

        sidecar = spawn(
            "sidecar",
            [sys.executable, "-m", "sidecar"],
            _env(
                {
                    "TAPROOT_SIDECAR_DB_URI": db_url,
                    "TAPROOT_JWT_SECRET": secret,
                    "TAPROOT_JWT_AUD": "taproot",
                    "SIDECAR_HOST": "127.0.0.1",
                    "SIDECAR_PORT": str(sidecar_port),
                    "TAPROOT_SIDECAR_TRUSTED_PROXIES": "1",
                    "TAPROOT_SECRETS_KEY": SECRETS_KEY,
                    "TAPROOT_SIDECAR_LOG_LEVEL": "warning",
                    "TAPROOT_SIDECAR_RATE_LIMIT_ENABLED": "false",
                }
            ),
        )
        spawn(
            "worker",
            [sys.executable, "-m", "workers", "--name", "bench-worker"],
            _env(
                {
                    "TAPROOT_WORKER_DB_URI": db_url,
                    "TAPROOT_SECRETS_KEY": SECRETS_KEY,
                    "TAPROOT_WORKER_LOG_LEVEL": "warning",
                }
            ),
        )
        gateway_env = {
            **GATEWAY_DEFAULTS,  # as taproot up (the JWT cache among them)
            "PGRST_DB_URI": db_url,
            "PGRST_JWT_SECRET": secret,
            "PGRST_SERVER_HOST": "127.0.0.1",
            "PGRST_SERVER_PORT": str(gateway_port),
            "PGRST_SERVER_WORKERS": str(gateway_workers),
            "PGRST_LOG_LEVEL": "error",
            "TAPROOT_PROXY": f"/api/ai=http://127.0.0.1:{sidecar_port}",
            "TAPROOT_EXPECTED_CHANGE": plan_changes()[-1],
            **REALTIME_ENV,
            **RATE_LIMIT_ENV,
            # one client address for ten thousand users: the per-client caps are not measured
            "PGRST_RATE_LIMIT_MAX_CONCURRENT": "0",
            "PGRST_RATE_LIMIT_FLOOD": "off",
            "PGRST_RATE_LIMIT_AUTH": "off",
        }
        if keepalive is not None:
            gateway_env["TAPROOT_KEEPALIVE_SECONDS"] = str(keepalive)
        gateway_env.update(gateway_extra or {})
        env = _env(gateway_env)
        if gateway_root is not None:
            env["PYTHONPATH"] = f"{gateway_root}{os.pathsep}{env['PYTHONPATH']}"
        gateway = spawn("gateway", [sys.executable, "-m", "gateway"], env, cwd=gateway_root or ROOT)
        wait_ready(f"http://127.0.0.1:{sidecar_port}/api/ai/health", sidecar, timeout=90)
        wait_ready(f"http://127.0.0.1:{gateway_port}/api/health", gateway, timeout=90)
        yield Stack(
            cluster=cluster,
            admin=admin,
            secret=secret,
            base_url=f"http://127.0.0.1:{gateway_port}",
            db_url=db_url,
            procs=procs,
            load_seconds=load_seconds,
            logs=logs,
        )
    finally:
        for proc in reversed(list(procs.values())):
            stop(proc)
        cluster.destroy()
        shutil.rmtree(workdir, ignore_errors=True)


# -- memory ---------------------------------------------------------------------------------


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(ppid, []).append(int(entry))
    return tree


def processes(s: Stack) -> dict[str, list[int]]:
    """Every process of the stack by component (a root and all its descendants)."""
    tree = _children()
    out: dict[str, list[int]] = {}
    for name, root in s.roots().items():
        pids, todo = [], [root]
        while todo:
            pid = todo.pop()
            pids.append(pid)
            todo.extend(tree.get(pid, []))
        out[name] = pids
    return out


def _status(pid: int) -> tuple[str, int, int] | None:
    """(command, VmRSS kB, RssAnon kB) of one process."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
    except OSError:
        return None
    fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)

    def kb(name: str) -> int:
        return int(fields.get(name, "0 kB").split()[0])

    return cmd[:80], kb("VmRSS"), kb("RssAnon")


def rss(s: Stack) -> dict[str, dict[int, tuple[str, int, int]]]:
    """Per component, per pid: (command, RSS kB, anonymous RSS kB)."""
    out: dict[str, dict[int, tuple[str, int, int]]] = {}
    for name, pids in processes(s).items():
        out[name] = {}
        for pid in pids:
            found = _status(pid)
            if found is not None:
                out[name][pid] = found
    return out


TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(s: Stack) -> dict[str, float]:
    """CPU (user + system) each component's processes have used so far. Per request it
    is the figure that survives a busy machine: throughput shares the cores with whatever
    else runs, the work a request costs does not."""
    out: dict[str, float] = {}
    for name, pids in processes(s).items():
        total = 0
        for pid in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])
        out[name] = total / TICK
    return out

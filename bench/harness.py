"""Benchmark harness: a throwaway cluster, the real gateway process, wrk, and pgbench
running the very SQL the gateway sent (captured from the server log) as the ceiling.

Every HTTP figure is reported beside its pgbench ceiling at the same concurrency, as
../shared/PERFORMANCE.md asks: the ratio is the figure to quote.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import jwt
import psycopg
import requests

from taproot import ROOT, system_deps
from taproot.cluster import Cluster, free_port
from taproot.database import Database

AUTHENTICATOR_PASSWORD = "bench-authenticator"
JWT_SECRET = "bench-secret-bench-secret-bench-secret-0123"
BENCH_TOOLS = {"wrk": "wrk", "hey": "hey"}


def ensure_tools() -> None:
    missing = [pkg for tool, pkg in BENCH_TOOLS.items() if shutil.which(tool) is None]
    if missing:
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", *missing], check=True)


@dataclass
class Stack:
    cluster: Cluster
    admin: Database
    base_url: str
    tcp_url: str  # authenticator over TCP, as the gateway connects

    def token(self, role: str) -> str:
        return jwt.encode({"role": role, "exp": int(time.time()) + 3600}, JWT_SECRET, "HS256")


@contextmanager
def stack(fixture_sql: Path, *, schemas: str, anon_role: str, workers: int) -> Iterator[Stack]:
    """A cluster with `fixture_sql` loaded and `python -m gateway` serving it."""
    tools = system_deps.ensure()
    workdir = Path(tempfile.mkdtemp(prefix="taproot-bench-"))
    workdir.chmod(0o755)
    cluster = Cluster(tools=tools, data_dir=workdir / "pg", port=free_port())
    cluster.start()
    gateway: subprocess.Popen[bytes] | None = None
    try:
        server = Database(cluster.admin_url())
        server.bootstrap_roles(
            authenticator_password=AUTHENTICATOR_PASSWORD, analyst_password="bench-analyst"
        )
        server.create("bench")
        admin = server.with_name("bench")
        with admin.connect() as conn:
            conn.execute(fixture_sql.read_text())
        tcp_url = (
            f"postgresql://authenticator:{AUTHENTICATOR_PASSWORD}@127.0.0.1:{cluster.port}/bench"
        )
        port = free_port()
        env = {
            **os.environ,
            "PGRST_DB_URI": tcp_url,
            "PGRST_DB_SCHEMAS": schemas,
            "PGRST_DB_ANON_ROLE": anon_role,
            "PGRST_JWT_SECRET": JWT_SECRET,
            "PGRST_SERVER_HOST": "127.0.0.1",
            "PGRST_SERVER_PORT": str(port),
            "PGRST_SERVER_WORKERS": str(workers),
            "PGRST_LOG_LEVEL": "error",
        }
        gateway = subprocess.Popen([sys.executable, "-m", "gateway"], env=env, cwd=ROOT)
        base_url = f"http://127.0.0.1:{port}"
        wait_ready(base_url + "/ready", gateway)
        yield Stack(cluster=cluster, admin=admin, base_url=base_url, tcp_url=tcp_url)
    finally:
        if gateway is not None:
            gateway.terminate()
            gateway.wait(timeout=15)
        cluster.destroy()
        shutil.rmtree(workdir, ignore_errors=True)


def wait_ready(url: str, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    """Until `url` answers 200; raises if `proc` exits first or `timeout` passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args!r} exited with {proc.returncode}")
        try:
            if requests.get(url, timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} not ready after {timeout}s")


def stop(proc: subprocess.Popen[bytes], timeout: float = 40) -> None:
    """SIGTERM (a graceful drain), then SIGKILL after `timeout` seconds."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# -- capturing the SQL the gateway sends ------------------------------------------------

_LOG_LINE = re.compile(r"^\S+ \S+ \S+ \[(\d+)\] (\S*)@(\S*) (LOG|DETAIL):\s+(.*)$")
_PARAM = re.compile(r"\$(\d+) = ('(?:[^']|'')*'|NULL)")


def capture_sql(s: Stack, send: Callable[[], object]) -> list[str]:
    """The statements of one request's transaction, parameters inlined as literals."""
    with s.admin.connect() as conn:
        conn.execute("ALTER SYSTEM SET log_statement = 'all'")
        # Parameters are kept out of the log by default (they hold secrets); the
        # benchmark's are synthetic, and they are what pgbench must replay.
        conn.execute("ALTER SYSTEM SET log_parameter_max_length = -1")
        conn.execute("SELECT pg_reload_conf()")
    time.sleep(0.5)
    log = s.cluster.log_file
    offset = log.stat().st_size
    send()
    time.sleep(0.5)
    with s.admin.connect() as conn:
        conn.execute("ALTER SYSTEM RESET log_statement")
        conn.execute("ALTER SYSTEM RESET log_parameter_max_length")
        conn.execute("SELECT pg_reload_conf()")
    with log.open() as handle:
        handle.seek(offset)
        lines = handle.read().splitlines()
    return _statements(lines)


def _statements(lines: list[str]) -> list[str]:
    statements: list[str] = []
    current: list[str] | None = None
    for line in lines:
        match = _LOG_LINE.match(line)
        if match is None:
            if current is not None and line.startswith("\t"):
                current.append(line[1:])
            continue
        _pid, user, _db, kind, text = match.groups()
        if user != "authenticator":
            current = None
            continue
        if kind == "LOG":
            body = re.sub(r"^(statement|execute [^:]*): ", "", text)
            current = [body]
            statements.append("")
        elif kind == "DETAIL" and text.startswith("parameters:") and statements:
            values = dict(_PARAM.findall(text))
            statements[-1] = _inline("\n".join(current or []), values)
            current = None
            continue
        if current is not None:
            statements[-1] = "\n".join(current)
    return [s.strip().rstrip(";") + ";" for s in statements if s.strip()]


def _inline(sql: str, values: dict[str, str]) -> str:
    return re.sub(r"\$(\d+)\b", lambda m: values.get(m.group(1), m.group(0)), sql)


# -- load -----------------------------------------------------------------------------------


@dataclass
class HttpResult:
    rps: float
    p50_ms: float
    p99_ms: float
    non_2xx: int


def wrk(url: str, lua: str, clients: int, seconds: int, threads: int = 2) -> HttpResult:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(lua)
    try:
        result = subprocess.run(
            [
                "wrk",
                f"-t{threads}",
                f"-c{clients}",
                f"-d{seconds}s",
                "--latency",
                "-s",
                script.name,
                url,
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    finally:
        os.unlink(script.name)
    if result.stderr.strip():
        # wrk prints a Lua error and then load-tests its default request: never report that.
        raise RuntimeError(f"wrk: {result.stderr.strip()}")
    out = result.stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return HttpResult(
        rps=rps,
        p50_ms=_latency(out, "50%"),
        p99_ms=_latency(out, "99%"),
        non_2xx=int(non2xx.group(1)) if non2xx else 0,
    )


def _latency(out: str, pct: str) -> float:
    match = re.search(rf"^\s+{re.escape(pct)}\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
    if match is None:
        return float("nan")
    value, unit = float(match.group(1)), match.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


def pgbench(s: Stack, script: str, clients: int, seconds: int) -> float:
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as handle:
        handle.write(script)
    parts = psycopg.conninfo.conninfo_to_dict(s.tcp_url)
    env = {**os.environ, "PGPASSWORD": AUTHENTICATOR_PASSWORD}
    try:
        out = subprocess.run(
            [
                s.cluster.tools.pg("pgbench"),
                "-n",
                "-M",
                "prepared",
                "-j",
                "2",
                "-c",
                str(clients),
                "-T",
                str(seconds),
                "-f",
                handle.name,
                "-h",
                "127.0.0.1",
                "-p",
                str(parts["port"]),
                "-U",
                "authenticator",
                "bench",
            ],
            capture_output=True,
            text=True,
            check=True,
            env=env,
        ).stdout
    finally:
        os.unlink(handle.name)
    match = re.search(r"tps = ([\d.]+) \(without initial connection time\)", out)
    if match is None:
        raise RuntimeError(f"pgbench printed no tps:\n{out}")
    return float(match.group(1))


def machine() -> str:
    cpu = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    return f"{os.cpu_count()} cores ({cpu}), Python {sys.version.split()[0]}"

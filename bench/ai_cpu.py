"""CPU per AI call, deterministically: sidecar CPU seconds and PostgreSQL time per 1,000 calls.

Latency on a shared 2-core machine is noise; the CPU a call costs is not. This drives a
fixed number of non-streamed chat completions (fake provider) through `python -m sidecar`
from a few keep-alive client threads and reads, around the run:
- the sidecar's process tree CPU (utime + stime from /proc), per 1,000 calls;
- the PostgreSQL cluster's process tree CPU, per 1,000 calls;
- pg_stat_statements (track = all): every statement, top-level and nested (inside the
  plpgsql functions), with calls per request and mean execution time, so each function's
  cost splits into what it runs.

Variants compare code and schema on the same cluster, back to back and alternated: a
variant is a source tree for the sidecar (e.g. `git archive <commit> | tar -x -C DIR`)
and the sqitch change the schema is deployed (or reverted) to.

    git archive a53f84b | tar -x -C /tmp/before
    .venv/bin/python -m bench.ai_cpu --variant before=/tmp/before:api_invitations \\
        --variant after=.: --rounds 3 --calls 2000
(`before` = that tree, the schema reverted to the change before app_ai_call_plpgsql;
`.:` = this tree, the whole plan.) Prints a Markdown summary; --json writes the raw figures.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import jwt
import psycopg.sql

from bench.ai import SECRETS_KEY, cpu_seconds
from taproot import ROOT, system_deps
from taproot.cluster import Cluster, free_port
from taproot.database import Database, migrate, revert
from taproot.provision import seed

PASSWORD = "bench-authenticator"
WORKSPACES = 4  # the calls cycle over these, as a few apps would
BODY = json.dumps(
    {
        "model": "fake-chat",
        "messages": [{"role": "user", "content": "Say something about benchmarks."}],
        "max_tokens": 64,
        "fake_latency_ms": 50,
    }
).encode()
PATH = "/api/ai/v1/chat/completions"


@dataclass
class Variant:
    name: str
    tree: Path  # the source tree the sidecar runs from
    change: str  # sqitch change to deploy/revert to; "" = the whole plan


@dataclass
class Result:
    variant: str
    calls: int
    seconds: float
    sidecar_cpu: float
    postgres_cpu: float
    statements: list[dict[str, Any]] = field(default_factory=list)

    @property
    def sidecar_ms(self) -> float:
        return self.sidecar_cpu / self.calls * 1000

    @property
    def postgres_ms(self) -> float:
        return self.postgres_cpu / self.calls * 1000


@dataclass
class Tenant:
    cluster: Cluster
    admin: Database
    db_url: str
    secret: str
    token: str
    workspaces: list[str]


@contextmanager
def cluster() -> Iterator[Tenant]:
    tools = system_deps.ensure()
    workdir = Path(tempfile.mkdtemp(prefix="taproot-bench-aicpu-"))
    workdir.chmod(0o755)
    pg = Cluster(tools=tools, data_dir=workdir / "pg", port=free_port())
    pg.start()
    try:
        server = Database(pg.admin_url())
        server.bootstrap_roles(authenticator_password=PASSWORD, analyst_password="bench-analyst")
        server.create("taproot")
        admin = server.with_name("taproot")
        migrate(admin)
        seed(admin)
        user_id = uuid.uuid4()
        workspaces = [uuid.uuid4() for _ in range(WORKSPACES)]
        with admin.connect() as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
            conn.execute(
                "INSERT INTO api.users (id, email, name) VALUES (%s, %s, 'Bench')",
                (user_id, f"bench-{user_id.hex[:8]}@bench.test"),
            )
            for n, workspace_id in enumerate(workspaces):
                conn.execute(
                    "INSERT INTO api.workspaces (id, name, daily_token_quota, created_by)"
                    " VALUES (%s, %s, 1000000000000, %s)",
                    (workspace_id, f"bench-{n}", user_id),
                )
                conn.execute(
                    "INSERT INTO api.memberships (workspace_id, user_id, role)"
                    " VALUES (%s, %s, 'owner')",
                    (workspace_id, user_id),
                )
            row = conn.execute("SELECT auth.jwt_secret()").fetchone()
        assert row is not None
        secret = str(row[0])
        now = int(time.time())
        token = jwt.encode(
            {
                "sub": str(user_id),
                "role": "authenticated",
                "email": f"bench-{user_id.hex[:8]}@bench.test",
                "session_id": str(uuid.uuid4()),
                "iat": now,
                "exp": now + 6 * 3600,
                "aud": "taproot",
            },
            secret,
            "HS256",
        )
        url = f"postgresql://authenticator:{PASSWORD}@127.0.0.1:{pg.port}/taproot"
        yield Tenant(pg, admin, url, secret, token, [str(w) for w in workspaces])
    finally:
        pg.destroy()
        shutil.rmtree(workdir, ignore_errors=True)


@contextmanager
def sidecar(tenant: Tenant, tree: Path) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": f"{tree}{os.pathsep}{tree / 'api-sidecar'}",
        "TAPROOT_SIDECAR_DB_URI": tenant.db_url,
        "TAPROOT_JWT_SECRET": tenant.secret,
        "TAPROOT_JWT_AUD": "taproot",
        "SIDECAR_HOST": "127.0.0.1",
        "SIDECAR_PORT": str(port),
        "TAPROOT_SECRETS_KEY": SECRETS_KEY,
        "TAPROOT_SIDECAR_LOG_LEVEL": "warning",
        "TAPROOT_SIDECAR_RATE_LIMIT_ENABLED": "false",
    }
    proc = subprocess.Popen([sys.executable, "-m", "sidecar"], env=env, cwd=tree)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                conn.request("GET", "/api/ai/health")
                if conn.getresponse().status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError("the sidecar did not start")
            time.sleep(0.2)
        yield proc, port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def drive(tenant: Tenant, port: int, calls: int, clients: int) -> None:
    """`calls` chat completions from `clients` keep-alive threads; every answer must be 200."""
    lock = threading.Lock()
    left = [calls]
    failures: list[str] = []

    def worker(n: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        i = n
        while True:
            with lock:
                if left[0] <= 0:
                    return
                left[0] -= 1
            headers = {
                "Authorization": f"Bearer {tenant.token}",
                "X-Taproot-Workspace": tenant.workspaces[i % len(tenant.workspaces)],
                "Content-Type": "application/json",
            }
            i += 1
            conn.request("POST", PATH, body=BODY, headers=headers)
            response = conn.getresponse()
            body = response.read()
            if response.status != 200:
                failures.append(f"{response.status} {body[:200]!r}")

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failures:
        raise RuntimeError(f"{len(failures)} calls failed, e.g. {failures[0]}")


def _pgss(conn: Any) -> psycopg.sql.Identifier:
    row = conn.execute(
        "SELECT extnamespace::regnamespace::text FROM pg_extension"
        " WHERE extname = 'pg_stat_statements'"
    ).fetchone()
    return psycopg.sql.Identifier(str(row[0]))


def reset(tenant: Tenant) -> None:
    with tenant.admin.connect() as conn:
        conn.execute(psycopg.sql.SQL("SELECT {}.pg_stat_statements_reset()").format(_pgss(conn)))


def statements(tenant: Tenant, calls: int) -> list[dict[str, Any]]:
    with tenant.admin.connect() as conn:
        rows = conn.execute(
            psycopg.sql.SQL(
                "SELECT s.toplevel, regexp_replace(s.query, '\\s+', ' ', 'g'), s.calls,"
                " s.total_exec_time FROM {}.pg_stat_statements s"
                " JOIN pg_database d ON d.oid = s.dbid"
                " WHERE d.datname = current_database()"
                " AND s.query NOT LIKE '%%pg_stat_statements%%'"
                " ORDER BY s.toplevel DESC, s.total_exec_time DESC"
            ).format(_pgss(conn))
        ).fetchall()
    out: list[dict[str, Any]] = []
    for top, query, n, total in rows:
        count, ms = cast(int, n), cast(float, total)
        out.append(
            {
                "toplevel": bool(top),
                "query": str(query),
                "per_call": count / calls,
                "mean_ms": ms / count if count else 0.0,
                "ms_per_call": ms / calls,
            }
        )
    return out


def set_schema(tenant: Tenant, change: str) -> None:
    if change:
        revert(tenant.admin, change)
    else:
        migrate(tenant.admin)


def measure(tenant: Tenant, variant: Variant, calls: int, clients: int) -> Result:
    set_schema(tenant, variant.change)
    with sidecar(tenant, variant.tree) as (proc, port):
        drive(tenant, port, max(200, calls // 5), clients)  # warm: pools, plans, rows
        time.sleep(0.5)  # the settler's last batch
        reset(tenant)
        pg_root = tenant.cluster.pid()
        assert pg_root is not None
        side0, pg0, t0 = cpu_seconds(proc.pid), cpu_seconds(pg_root), time.monotonic()
        drive(tenant, port, calls, clients)
        time.sleep(0.3)  # the settler's last batch belongs to these calls
        side1, pg1, t1 = cpu_seconds(proc.pid), cpu_seconds(pg_root), time.monotonic()
        stmts = statements(tenant, calls)
    return Result(variant.name, calls, t1 - t0, side1 - side0, pg1 - pg0, stmts)


def summary(results: list[Result]) -> str:
    lines = [
        "| variant | calls | sidecar CPU s / 1,000 calls | postgres CPU s / 1,000 calls |"
        " top-level exec ms / call |",
        "|---|---:|---:|---:|---:|",
    ]
    for r in results:
        top = sum(s["ms_per_call"] for s in r.statements if s["toplevel"])
        lines.append(
            f"| {r.variant} | {r.calls} | {r.sidecar_ms:.2f} | {r.postgres_ms:.2f} | {top:.3f} |"
        )
    for r in results:
        lines += [
            "",
            f"**{r.variant}** statements (per call, mean ms; nested = inside a function):",
            "",
            "| level | statement | per call | mean ms | ms / call |",
            "|---|---|---:|---:|---:|",
        ]
        for s in r.statements:
            if s["ms_per_call"] < 0.002:
                continue
            query = s["query"][:110].replace("|", "\\|")
            level = "top" if s["toplevel"] else "nested"
            lines.append(
                f"| {level} | `{query}` | {s['per_call']:.2f} | {s['mean_ms']:.4f}"
                f" | {s['ms_per_call']:.4f} |"
            )
    return "\n".join(lines)


def _variant(text: str) -> Variant:
    name, _, rest = text.partition("=")
    tree, _, change = rest.partition(":")
    return Variant(name, Path(tree or ".").resolve(), change)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--variant", action="append", type=_variant, required=False)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    variants: list[Variant] = args.variant or [Variant("this tree", ROOT, "")]
    results: list[Result] = []
    with cluster() as tenant:
        for _ in range(args.rounds):
            for variant in variants:
                result = measure(tenant, variant, args.calls, args.clients)
                print(
                    f"{variant.name}: sidecar {result.sidecar_ms:.2f} ms, postgres"
                    f" {result.postgres_ms:.2f} ms CPU per call ({result.seconds:.1f} s)",
                    file=sys.stderr,
                )
                results.append(result)
    if args.json:
        args.json.write_text(json.dumps([r.__dict__ for r in results], indent=1))
    print(summary(results))


if __name__ == "__main__":
    main()

"""Jobs benchmark: the Procrastinate queue and AI requests run by real worker processes.

Run: `.venv/bin/python -m bench.jobs [--quick]`; writes bench/reports/jobs.md. A throwaway
cluster gets the full sqitch plan; `python -m workers` processes (1 and 2) drain:
  (a) no-op jobs deferred in bulk (one INSERT … SELECT through app.defer_job), at
      concurrency 1 and 20 per process: jobs/s from the commit to the last `succeeded`;
  (b) AI requests with the zero-latency fake provider, 1,000 queued by one bulk
      api.run_prompt: requests/s, and the service time started_at → finished_at;
  (c) the fake provider sleeping 1 s, 100 in flight per process: requests/s (goal ≈ 100
      per process: the worker's own overhead is what keeps it below);
  (d) a steady 50 requests/s offered for 10 s (one api.run_prompt transaction each, paced):
      queue → start latency created_at → started_at (goal p99 < 100 ms; NOTIFY wakes).
"""

from __future__ import annotations

import argparse
import datetime
import importlib.metadata
import json
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import psycopg.sql

from bench.harness import AUTHENTICATOR_PASSWORD, machine
from taproot import ROOT, system_deps
from taproot.cluster import Cluster, free_port
from taproot.database import Database, migrate
from tests.stack import Tenant, as_member, make_prompt, make_tenant, rows, wait_for, worker_env

HERE = Path(__file__).parent
REPORT = HERE / "reports" / "jobs.md"
# Production-like timings: the reaper every 10 s, INFO logging off (it costs per job).
BENCH_ENV = {
    "TAPROOT_WORKER_LOG_LEVEL": "warning",
    "TAPROOT_SCHEDULE_STALLED_JOBS": "* * * * * */10",
    "TAPROOT_WORKER_POLLING_SECONDS": "5",
    "TAPROOT_WORKER_HEARTBEAT_SECONDS": "5",
    "TAPROOT_WORKER_STALLED_SECONDS": "30",
    "TAPROOT_WORKER_POOL_SIZE": "10",
}


@dataclass
class Bench:
    db: Database
    workdir: Path
    tenant: Tenant
    pg_version: str


@contextmanager
def database() -> Iterator[Bench]:
    workdir = Path(tempfile.mkdtemp(prefix="taproot-bench-jobs-"))
    workdir.chmod(0o755)
    cluster = Cluster(
        tools=system_deps.ensure(), data_dir=workdir / "pg", port=free_port(), ephemeral=True
    )
    cluster.start()
    try:
        server = Database(cluster.admin_url())
        server.bootstrap_roles(
            authenticator_password=AUTHENTICATOR_PASSWORD, analyst_password="bench-analyst"
        )
        server.create("bench")
        db = server.with_name("bench")
        migrate(db)
        version = str(rows(db, "SHOW server_version")[0]["server_version"])
        yield Bench(db, workdir, make_tenant(db, quota=10_000_000_000), version)
    finally:
        cluster.destroy()
        shutil.rmtree(workdir, ignore_errors=True)


@contextmanager
def workers(b: Bench, count: int, concurrency: int) -> Iterator[None]:
    """`count` worker processes at `concurrency`, registered before the block starts."""
    env = worker_env(b.db, password=AUTHENTICATOR_PASSWORD, **BENCH_ENV)
    before = rows(b.db, "SELECT count(*) AS n FROM procrastinate.procrastinate_workers")[0]["n"]
    procs: list[subprocess.Popen[bytes]] = []
    try:
        for i in range(count):
            log = (b.workdir / f"worker-{uuid.uuid4().hex[:6]}.log").open("wb")
            procs.append(
                subprocess.Popen(
                    [sys.executable, "-m", "workers", "--concurrency", str(concurrency),
                     "--name", f"bench{i}"],
                    env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                )
            )  # fmt: skip
        wait_for(
            lambda: (
                rows(b.db, "SELECT count(*) AS n FROM procrastinate.procrastinate_workers")[0]["n"]
                >= before + count
            ),
            timeout=60,
            what="the workers register",
        )
        time.sleep(0.5)  # let the first periodic defers and their jobs pass
        yield
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _now(conn: psycopg.Connection[Any]) -> datetime.datetime:
    row = conn.execute("SELECT clock_timestamp()").fetchone()
    assert row is not None
    return row[0]  # type: ignore[no-any-return]


# -- (a) no-op jobs ----------------------------------------------------------------------


def noop_throughput(b: Bench, jobs: int) -> float:
    """Jobs/s to drain `jobs` no-op jobs committed at once."""
    with b.db.connect() as conn:
        [(first,)] = conn.execute(
            "SELECT coalesce(max(id), 0) + 1 FROM procrastinate.procrastinate_jobs"
        ).fetchall()
        with conn.transaction():
            conn.execute(
                "SELECT count(app.defer_job('noop', '{}'::jsonb, 'default'))"
                " FROM generate_series(1, %s)",
                (jobs,),
            )
        committed = _now(conn)
    pending = (
        "SELECT count(*) AS n FROM procrastinate.procrastinate_jobs"
        " WHERE task_name = 'noop' AND id >= %s AND status IN ('todo', 'doing')"
    )
    wait_for(
        lambda: rows(b.db, pending, first)[0]["n"] == 0,
        timeout=300,
        interval=0.1,
        what="noop jobs drain",
    )
    [last] = rows(
        b.db,
        "SELECT max(e.at) AS at FROM procrastinate.procrastinate_events e"
        " JOIN procrastinate.procrastinate_jobs j ON j.id = e.job_id"
        " WHERE j.task_name = 'noop' AND j.id >= %s AND e.type = 'succeeded'",
        first,
    )
    return float(jobs / (last["at"] - committed).total_seconds())


# -- (b), (c) AI requests in a burst -------------------------------------------------------


@dataclass
class Burst:
    requests: int
    rps: float
    service_p50_ms: float
    service_p99_ms: float
    total_p50_ms: float
    total_p99_ms: float
    succeeded: int


def _latencies(b: Bench, prompt: uuid.UUID, start: str, end: str) -> tuple[float, float]:
    query = psycopg.sql.SQL(
        "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS p50,"
        " percentile_cont(0.99) WITHIN GROUP (ORDER BY ms) AS p99 FROM ("
        " SELECT extract(epoch FROM r.{end} - r.{start}) * 1000 AS ms FROM api.ai_requests r"
        " JOIN api.prompt_versions v ON v.id = r.prompt_version_id WHERE v.prompt_id = %s) s"
    ).format(end=psycopg.sql.Identifier(end), start=psycopg.sql.Identifier(start))
    with b.db.connect() as conn:
        row = conn.execute(query, (prompt,)).fetchone()
    assert row is not None
    p50, p99 = row
    assert isinstance(p50, float) and isinstance(p99, float)
    return p50, p99


def ai_burst(b: Bench, count: int, params: dict[str, Any]) -> Burst:
    prompt = make_prompt(b.db, b.tenant, params)
    with b.db.connect() as conn:
        with conn.transaction():
            as_member(conn, b.tenant)
            conn.execute(
                "SELECT count(api.run_prompt(%s, %s)) FROM generate_series(1, %s)",
                (prompt, json.dumps({"name": "bench"}), count),
            )
        committed = _now(conn)
    of_prompt = (
        "SELECT count(*) FILTER (WHERE r.status IN ('queued', 'running')) AS pending,"
        " count(*) FILTER (WHERE r.status = 'succeeded') AS ok, max(r.finished_at) AS last"
        " FROM api.ai_requests r JOIN api.prompt_versions v ON v.id = r.prompt_version_id"
        " WHERE v.prompt_id = %s"
    )
    wait_for(
        lambda: rows(b.db, of_prompt, prompt)[0]["pending"] == 0,
        timeout=300,
        interval=0.1,
        what="the requests finish",
    )
    [done] = rows(b.db, of_prompt, prompt)
    service = _latencies(b, prompt, "started_at", "finished_at")
    total = _latencies(b, prompt, "created_at", "finished_at")
    return Burst(
        count,
        count / (done["last"] - committed).total_seconds(),
        *service,
        *total,
        succeeded=int(done["ok"]),
    )


# -- (d) a steady offered rate -------------------------------------------------------------


@dataclass
class Steady:
    offered: float
    achieved: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float


def steady_rate(b: Bench, rate: float, seconds: float) -> Steady:
    prompt = make_prompt(b.db, b.tenant, {})
    inputs = json.dumps({"name": "steady"})
    sent = 0
    with b.db.connect() as conn:
        start = time.monotonic()
        while (elapsed := time.monotonic() - start) < seconds:
            due = start + sent / rate
            if due > time.monotonic():
                time.sleep(due - time.monotonic())
            with conn.transaction():
                as_member(conn, b.tenant)
                conn.execute("SELECT api.run_prompt(%s, %s)", (prompt, inputs))
            sent += 1
        elapsed = time.monotonic() - start
    pending = (
        "SELECT count(*) AS n FROM api.ai_requests r JOIN api.prompt_versions v"
        " ON v.id = r.prompt_version_id"
        " WHERE v.prompt_id = %s AND r.status IN ('queued', 'running')"
    )
    wait_for(lambda: rows(b.db, pending, prompt)[0]["n"] == 0, timeout=60, what="steady drains")
    [row] = rows(
        b.db,
        "SELECT percentile_cont(ARRAY[0.5, 0.9, 0.99]) WITHIN GROUP (ORDER BY ms) AS p,"
        " max(ms) AS top FROM (SELECT extract(epoch FROM r.started_at - r.created_at) * 1000"
        " AS ms FROM api.ai_requests r JOIN api.prompt_versions v ON v.id = r.prompt_version_id"
        " WHERE v.prompt_id = %s) s",
        prompt,
    )
    p50, p90, p99 = (float(x) for x in row["p"])
    return Steady(rate, sent / elapsed, p50, p90, p99, float(row["top"]))


# -- the run and its report ------------------------------------------------------------------


@dataclass
class Results:
    noop: dict[tuple[int, int], float]
    zero: dict[int, Burst]
    slow: dict[int, Burst]
    steady: dict[int, Steady]
    pg_version: str
    seconds: float


def run(quick: bool) -> Results:
    started = time.monotonic()
    noop_jobs = 500 if quick else 2000
    zero_requests = 300 if quick else 1000
    steady_seconds = 3.0 if quick else 10.0
    res = Results({}, {}, {}, {}, "", 0.0)
    with database() as b:
        res.pg_version = b.pg_version
        for procs in (1, 2):
            for concurrency in (1, 20):
                with workers(b, procs, concurrency):
                    res.noop[procs, concurrency] = noop_throughput(b, noop_jobs)
                print(
                    f"(a) {procs} proc c={concurrency}: {res.noop[procs, concurrency]:.0f} jobs/s"
                )
            with workers(b, procs, 100):
                res.zero[procs] = ai_burst(b, zero_requests, {})
                print(f"(b) {procs} proc: {res.zero[procs].rps:.0f} requests/s")
                res.slow[procs] = ai_burst(b, 500 * procs, {"fake_latency_ms": 1000})
                print(f"(c) {procs} proc: {res.slow[procs].rps:.0f} requests/s")
                res.steady[procs] = steady_rate(b, 50.0, steady_seconds)
                print(f"(d) {procs} proc: p99 {res.steady[procs].p99_ms:.1f} ms")
    res.seconds = time.monotonic() - started
    return res


def _packages() -> str:
    names = ("procrastinate", "psycopg", "psycopg-pool")
    return ", ".join(f"{n} {importlib.metadata.version(n)}" for n in names)


def report(res: Results, quick: bool) -> str:
    noop_jobs = 500 if quick else 2000
    lines = [
        "# Jobs: the Procrastinate queue and AI requests run by real workers",
        "",
        f"Run {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC on {machine()};"
        f" PostgreSQL {res.pg_version}; {_packages()}. The cores are shared by PostgreSQL, the"
        f" workers and the load generator (no spare core to pin it to). Whole run"
        f" {res.seconds:.0f} s.",
        "",
        "Command: `.venv/bin/python -m bench.jobs` (a throwaway ephemeral cluster — fsync off —"
        " with the full sqitch plan; `python -m workers` processes connected as authenticator"
        " over the Unix socket, switched to role worker; Procrastinate's INFO logging off, the"
        " stalled-job reaper every 10 s, polling every 5 s, so jobs are found by NOTIFY)."
        " The machine is shared with other work, so absolute figures drift between runs;"
        " compare rows within one report.",
        "",
        "## (a) No-op jobs (`noop`, queue default), drained after one bulk defer",
        "",
        f"{noop_jobs} jobs deferred in one transaction by one INSERT … SELECT through"
        " app.defer_job over generate_series; jobs/s = jobs ÷ (last `succeeded` event -"
        " commit).",
        "",
        "| worker processes | concurrency per process | jobs/s | anchor |",
        "|---:|---:|---:|---|",
    ]
    for (procs, concurrency), rate in sorted(res.noop.items()):
        anchor = (
            "Procrastinate's CI benchmark: 200-500 jobs/s at concurrency 1"
            if concurrency == 1
            else "PgQueuer 6-18k/s, Oban ~16k/s, River ~46k/s (other designs)"
        )
        lines.append(f"| {procs} | {concurrency} | {rate:,.0f} | {anchor} |")
    lines += [
        "",
        "What limits it: Procrastinate fetches one job at a time per process (its fetch"
        " loop awaits `procrastinate_fetch_job_v2` - a `FOR UPDATE SKIP LOCKED` pick, the"
        " status update and its event-trigger row - before it fetches the next), then runs"
        " the task and `procrastinate_finish_job_v1` (another update and event row). At"
        " concurrency 1 those three round trips are serial; a higher concurrency only"
        " overlaps the finish with the next fetch, and on two shared cores the extra tasks"
        " and pool hand-offs cost about as much CPU as the overlap saves, so concurrency 20"
        " is not reliably faster for no-op jobs (compare the rows). A second process adds a"
        " second fetch loop but no CPU: PostgreSQL and the workers already fill both cores. The"
        " concurrency-1 figures sit at or above Procrastinate's own 200-500 jobs/s.",
        "",
        "## (b) AI requests, zero-latency fake provider, end to end",
        "",
        "One transaction queues the batch (`SELECT api.run_prompt(…) FROM generate_series`),"
        " each request with its job by the insert trigger; workers at concurrency 100."
        " requests/s = requests ÷ (last finished_at - commit). Service = started_at →"
        " finished_at (one attempt: claim, render, budget reservation, provider, one"
        " transaction for usage + result + events). Total = created_at → finished_at, which in"
        " a burst is mostly the time spent waiting in the queue.",
        "",
        "| worker processes | requests | succeeded | requests/s | service p50 ms | service p99 ms"
        " | total p50 ms | total p99 ms |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for procs, r in sorted(res.zero.items()):
        lines.append(
            f"| {procs} | {r.requests} | {r.succeeded} | {r.rps:,.0f} | {r.service_p50_ms:.1f}"
            f" | {r.service_p99_ms:.1f} | {r.total_p50_ms:,.0f} | {r.total_p99_ms:,.0f} |"
        )
    lines += [
        "",
        "Anchor: LiteLLM Proxy reports 12 ms median / 43 ms p99 *overhead* per call at"
        " about 1,000 requests/s on two 4-CPU instances; here the upstream takes 0 ms, so"
        " the service time is all Taproot overhead. What limits it: about ten statements"
        " per request in six transactions (claim, routes, reserve, usage + finish, the"
        " Procrastinate fetch and finish), plus the triggers they fire (status machine,"
        " events + NOTIFY, usage_daily upsert — one hot row per workspace and day, which"
        " serializes the settle transactions of one workspace). A second process adds well"
        " under a second process's worth while the service time grows: CPU-bound on two cores.",
        "",
        "## (c) 1 s upstream latency, 100 in flight per process",
        "",
        "500 requests per process, queued at once; fake_latency_ms 1000; concurrency 100.",
        "",
        "| worker processes | requests | requests/s | goal | of goal | service p50 ms"
        " | service p99 ms |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for procs, r in sorted(res.slow.items()):
        goal = 100 * procs
        lines.append(
            f"| {procs} | {r.requests} | {r.rps:,.1f} | {goal} | {r.rps / goal:.0%}"
            f" | {r.service_p50_ms:,.0f} | {r.service_p99_ms:,.0f} |"
        )
    lines += [
        "",
        "What limits it: with 100 slots each busy for 1 s, 100/s per process is the"
        " ceiling. The service time (p50 just over 1,000 ms) shows each attempt adds only"
        " tens of ms around the sleep; the rest of the gap is the fetch loop (one fetch at a"
        " time, so 100 freed slots are refilled one round trip after another) and CPU: the"
        " ~10 statements of each request for 100 requests/s per process, plus PostgreSQL, on"
        " two cores. That is why two processes reach well under twice one.",
        "",
        "## (d) Queue → start latency at a steady 50 requests/s",
        "",
        "One client, one `api.run_prompt` transaction per request, paced every 20 ms;"
        " latency = started_at - created_at (created_at is the inserting transaction's"
        " start, so it includes that transaction and its commit).",
        "",
        "| worker processes | offered /s | achieved /s | p50 ms | p90 ms | p99 ms | max ms"
        " | goal |",
        "|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for procs, s in sorted(res.steady.items()):
        verdict = "met" if s.p99_ms < 100 else "missed"
        lines.append(
            f"| {procs} | {s.offered:.0f} | {s.achieved:.1f} | {s.p50_ms:.1f} | {s.p90_ms:.1f}"
            f" | {s.p99_ms:.1f} | {s.max_ms:.1f} | p99 < 100 ms: {verdict} |"
        )
    lines += [
        "",
        "What limits it: the NOTIFY sent at commit by Procrastinate's insert trigger wakes"
        " the worker's listener; the worker then fetches (one round trip) and the task"
        " claims the request (another), whose clock_timestamp() is started_at. With two"
        " processes both wake on every NOTIFY and race for the job (SKIP LOCKED), which"
        " costs CPU but not latency.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller batches (a smoke run)")
    args = parser.parse_args()
    res = run(args.quick)
    REPORT.write_text(report(res, args.quick))
    print(f"wrote {REPORT}")


if __name__ == "__main__":
    main()

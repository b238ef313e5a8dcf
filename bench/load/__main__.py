"""`python -m bench.load [--quick] [--soak-seconds N]`: Taproot under load as thousands of
signed-in users, beside the pgbench ceiling; writes bench/results/<date>.md and its plots.

1. A throwaway embedded cluster gets the full sqitch plan and dataset.sql (10,000 users,
   1,000 workspaces, ~31,000 memberships, 100,000 documents, 100,000 AI requests); the
   sidecar, one worker and the gateway (2 processes) start as `taproot up` starts them.
2. 5,000 memberships drawn at random get a token each (auth.jwt_secret(), api.login's
   claims); every request below is one of those users', so RLS decides what it sees.
3. Closed loop (wrk, bench/load/load.lua) at 10 and 50 connections per REST scenario,
   with pgbench running the SQL the gateway sent for one of its requests (captured from
   the server log) at the same concurrency: gateway ÷ pgbench.
4. run_prompt through the worker to `succeeded`; streamed completions through the
   gateway to the sidecar; SSE subscribers held open during the open-loop runs.
5. Open loop, mixed workload (80% reads, 15% writes, 5% RPC) at rising offered rates over
   2,000 and 5,000 keep-alive connections, up to the knee (p99 over 200 ms or errors).
6. RSS of every process before and after a soak at 500 requests/s.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import resource
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.load import async_parts, traffic
from bench.load.stack import Stack, cpu_seconds, rss, stack

HERE = Path(__file__).parent
RESULTS = HERE.parent / "results"
NOFILE = 20000
KNEE_P99_MS = 200.0
# pgbench scripts for PATCH: the sample's transaction as 8 users on 8 documents
CEILING_USERS = 8


@dataclass(frozen=True)
class Scenario:
    name: str
    make: traffic.Make | None  # None: the mixed workload
    ceiling: bool = True  # pgbench on its captured SQL


REST = (
    Scenario("GET by primary key", traffic.get_by_pk),
    Scenario("GET 10 filtered, ordered rows", traffic.get_page),
    Scenario("GET with a one-to-many embed", traffic.get_embed),
    Scenario("full-text search RPC", traffic.search),
    Scenario("POST a document", traffic.post_document),
    Scenario("PATCH a document by key", traffic.patch_document),
    Scenario("login (bcrypt cost 10)", traffic.login),
    Scenario("mixed (80/15/5)", None, ceiling=False),
)


@dataclass
class Plan:
    seconds: float  # per closed-loop point
    open_seconds: float  # per open-loop point
    clients: tuple[int, ...]
    rates: tuple[int, ...]
    connections: tuple[int, ...]
    soak_seconds: float
    soak_rate: int
    prompt_rate: int
    streams: int
    subscribers: int


def plan(args: argparse.Namespace) -> Plan:
    chosen = _plan(args)
    if args.rates:
        chosen.rates = tuple(args.rates)
    if args.open_seconds:
        chosen.open_seconds = args.open_seconds
    return chosen


def _plan(args: argparse.Namespace) -> Plan:
    if args.quick:
        return Plan(
            3,
            5,
            (10, 50),
            (500, 1000, 2000),
            (2000, 5000),
            args.soak_seconds or 10,
            500,
            20,
            50,
            200,
        )
    return Plan(
        10,
        15,
        (10, 50),
        (250, 500, 1000, 1500, 2000, 2500, 3000),
        (2000, 5000),
        args.soak_seconds or 600,
        500,
        50,
        200,
        1000,
    )


@dataclass
class Results:
    started: str
    plan: dict[str, Any]
    machine: dict[str, str]
    dataset: dict[str, Any]
    closed: list[dict[str, Any]] = field(default_factory=list)
    sql: dict[str, str] = field(default_factory=dict)
    prompts: dict[str, Any] = field(default_factory=dict)
    streams: dict[str, Any] = field(default_factory=dict)
    open: list[dict[str, Any]] = field(default_factory=list)
    knee: dict[str, int | None] = field(default_factory=dict)
    sse: dict[str, Any] = field(default_factory=dict)
    soak: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def raise_nofile() -> None:
    """wrk holds 5,000 sockets and each gateway process its share: lift the soft limit
    (children inherit it) up to the hard one, at most NOFILE."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = NOFILE if hard == resource.RLIM_INFINITY else min(NOFILE, hard)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


def ensure_tools() -> None:
    """wrk and taskset from Debian's packages, installed as taproot/system_deps.py installs
    its own (root: apt-get; anyone else: the command to run). pgbench ships with the
    PostgreSQL server packages system_deps.ensure() installs with the cluster."""
    import os
    import subprocess

    wanted = (("wrk", "wrk"), ("taskset", "util-linux"))
    missing = [pkg for tool, pkg in wanted if not shutil.which(tool)]
    if not missing:
        return
    if os.geteuid() != 0:
        sys.exit(
            f"bench.load needs {', '.join(missing)}: sudo apt-get install -y {' '.join(missing)}"
        )
    subprocess.run(["apt-get", "update", "-qq"], check=True)
    subprocess.run(["apt-get", "install", "-y", "-qq", *missing], check=True)


def closed_loop(  # noqa: PLR0917 - the run's parts, once
    s: Stack,
    p: Plan,
    files: dict[str, Path],
    users: list[traffic.Member],
    res: Results,
    only: str | None,
) -> None:
    import random

    for sc in REST:
        if only and only not in sc.name:
            continue
        rnd = random.Random(7)
        writer = next(m for m in users if m.role in traffic.WRITERS)
        scripts: list[str] = []
        if sc.ceiling and sc.make is not None:
            sample = sc.make(writer, rnd)
            doc = sample.path.split("id=eq.", 1)[1] if "?id=eq." in sample.path else None
            statements = traffic.capture(s, sample)
            # one script, as bench/gateway_http.py; a PATCH as 8 users on 8 documents, or
            # pgbench's 50 clients would queue on one row lock the gateway's run never sees
            spread = CEILING_USERS if sc.make is traffic.patch_document else 1
            others = [m for m in users if m.role in traffic.WRITERS][1:spread]
            scripts = traffic.ceiling_scripts(writer, doc, statements, others)
            res.sql[sc.name] = scripts[0]
        for clients in p.clients:
            traffic.wrk(s, files[sc.name], clients, 2)  # warm-up
            before = cpu_seconds(s)
            run = traffic.wrk(s, files[sc.name], clients, p.seconds)
            after = cpu_seconds(s)
            run.extra = {
                f"{name} cpu ms/request": (after[name] - before[name]) * 1000 / max(run.requests, 1)
                for name in ("gateway", "postgres")
            }
            tps = None
            if scripts:
                traffic.pgbench(s, scripts, clients, 2)  # warm-up, as for wrk
                tps = traffic.pgbench(s, scripts, clients, p.seconds)
            row = {"scenario": sc.name, "clients": clients, **asdict(run), "pgbench_tps": tps}
            res.closed.append(row)
            ratio = f" = {run.rps / tps:.2f} of {tps:,.0f} tps" if tps else ""
            print(
                f"closed {sc.name} c={clients}: {run.rps:,.0f} req/s"
                f" p99 {run.latency_ms.get('p99', math.nan):.1f} ms{ratio}"
                f" errors {run.error_count}; cpu ms/request gateway"
                f" {run.extra['gateway cpu ms/request']:.2f} postgres"
                f" {run.extra['postgres cpu ms/request']:.2f}",
                file=sys.stderr,
            )


def open_loop(s: Stack, p: Plan, mix: Path, res: Results) -> None:
    for conns in p.connections:
        res.knee[str(conns)] = None
        for rate in p.rates:
            run = traffic.wrk(s, mix, conns, p.open_seconds, rate=rate)
            res.open.append(asdict(run))
            p99 = run.latency_ms.get("p99", math.nan)
            print(
                f"open c={conns} offered {rate}/s: {run.rps:,.0f} req/s p50"
                f" {run.latency_ms.get('p50', math.nan):.1f} p99 {p99:.1f} ms"
                f" errors {run.errors}",
                file=sys.stderr,
            )
            if p99 > KNEE_P99_MS or run.error_count:
                break
            res.knee[str(conns)] = rate


def soak(s: Stack, p: Plan, mix: Path, res: Results) -> None:
    before = rss(s)
    run = traffic.wrk(s, mix, 1000, p.soak_seconds, rate=p.soak_rate)
    time.sleep(2)
    after = rss(s)
    res.soak = {"run": asdict(run), "before": _rss_rows(before), "after": _rss_rows(after)}
    print(
        f"soak {p.soak_seconds:.0f}s at {p.soak_rate}/s: {run.rps:,.0f} req/s errors {run.errors}",
        file=sys.stderr,
    )


def _rss_rows(snapshot: dict[str, dict[int, tuple[str, int, int]]]) -> list[dict[str, Any]]:
    return [
        {"component": name, "pid": pid, "command": cmd, "rss_kb": kb, "anon_kb": anon}
        for name, procs in snapshot.items()
        for pid, (cmd, kb, anon) in sorted(procs.items())
    ]


def run(args: argparse.Namespace) -> Results:
    from bench.load import report

    p = plan(args)
    raise_nofile()
    ensure_tools()
    res = Results(
        started=f"{datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC",
        plan=asdict(p),
        machine=report.machine(),
        dataset={},
    )
    if args.gateway_env or args.gateway_root or args.keepalive or args.server != "uvicorn":
        res.notes.append(
            f"Experiment: gateway settings {args.gateway_env or 'as taproot up'}, source"
            f" {args.gateway_root or 'this tree'}, keep-alive {args.keepalive or 'default'},"
            f" server {args.server}."
        )
    if args.load_note:
        res.notes.append(args.load_note)
    workdir = Path(tempfile.mkdtemp(prefix="taproot-bench-load-files-"))
    t0 = time.monotonic()
    try:
        extra = dict(kv.split("=", 1) for kv in args.gateway_env)
        with stack(
            keepalive=args.keepalive,
            gateway_extra=extra,
            gateway_root=args.gateway_root,
            http_server=args.server,
        ) as s:
            res.dataset = report.dataset(s)
            res.dataset["startup_seconds"] = round(time.monotonic() - t0, 1)
            print(
                f"stack up in {time.monotonic() - t0:.0f}s (dataset {s.load_seconds:.1f}s)",
                file=sys.stderr,
            )
            users = traffic.members(s, 5000)
            files = {
                sc.name: traffic.request_file(workdir / f"{n}.txt", users, sc.make, 20000)
                for n, sc in enumerate(REST)
            }
            if "closed" not in args.skip:
                closed_loop(s, p, files, users, res, args.only)
            if "prompts" not in args.skip:
                prompts = traffic.request_file(
                    workdir / "prompts.txt", users, traffic.run_prompt, 20000
                )
                out = async_parts.run_prompts(s, prompts, 200, p.prompt_rate, p.open_seconds)
                res.prompts = asdict(out)
                print(
                    f"run_prompt: {out.succeeded}/{out.created} succeeded, e2e {out.end_to_end_ms}",
                    file=sys.stderr,
                )
            if "streams" not in args.skip:
                res.streams = async_parts.streams(s, users, p.streams, p.open_seconds)
                print(f"streams: {json.dumps(res.streams)}", file=sys.stderr)
            if "open" not in args.skip:
                subs = async_parts.start_subscribers(s, users, p.subscribers, workdir)
                try:
                    open_loop(s, p, files["mixed (80/15/5)"], res)
                finally:
                    res.sse = async_parts.stop_subscribers(s, subs)
                print(f"sse: {json.dumps(res.sse)}", file=sys.stderr)
            if "soak" not in args.skip:
                soak(s, p, files["mixed (80/15/5)"], res)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return res


def main() -> None:
    # a SIGTERM (timeout, CI) unwinds like Ctrl-C: the stack's processes and cluster stop
    signal.signal(signal.SIGTERM, lambda _signum, _frame: sys.exit(143))
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="a few seconds per point (smoke run)")
    parser.add_argument("--soak-seconds", type=float, default=0, help="default 600 (quick: 10)")
    parser.add_argument(
        "--keepalive",
        type=int,
        default=None,
        help="the gateway's idle keep-alive timeout (default: its own, 75 s)",
    )
    parser.add_argument(
        "--gateway-env",
        nargs="*",
        default=[],
        metavar="KEY=VALUE",
        help="extra gateway settings (an experiment, e.g. PGRST_DB_POOL=20)",
    )
    parser.add_argument(
        "--gateway-root",
        type=Path,
        default=None,
        help="serve the gateway from this source tree (A/B runs)",
    )
    parser.add_argument(
        "--server",
        choices=("uvicorn", "granian"),
        default="uvicorn",
        help="experiment: serve the gateway with granian (if installed)",
    )
    parser.add_argument("--rates", type=int, nargs="*", help="open loop: offered rates")
    parser.add_argument("--open-seconds", type=float, default=0, help="open loop: per point")
    parser.add_argument("--only", help="closed loop: the scenarios whose name has this")
    parser.add_argument(
        "--note",
        dest="load_note",
        default="",
        help="a sentence for the report (e.g. the machine's other load)",
    )
    parser.add_argument(
        "--skip", nargs="*", default=[], choices=("closed", "prompts", "streams", "open", "soak")
    )
    parser.add_argument(
        "--out", type=Path, default=None, help="report path (default bench/results/<date>.md)"
    )
    parser.add_argument("--render", type=Path, default=None, help="rewrite a report from its .json")
    args = parser.parse_args()
    from bench.load import report

    if args.render is not None:
        res = Results(**json.loads(args.render.read_text()))
        out = args.render.with_suffix(".md")
    else:
        res = run(args)
        RESULTS.mkdir(exist_ok=True)
        out = args.out or RESULTS / f"{datetime.datetime.now(datetime.UTC):%Y-%m-%d}.md"
        out.with_suffix(".json").write_text(json.dumps(asdict(res), indent=1))
    report.write(res, out)
    print(f"report: {out}")


if __name__ == "__main__":
    main()

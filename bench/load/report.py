"""The load report: machine and versions, the dataset, a table per scenario, and PNG
plots (latency percentiles against offered rate; throughput against concurrency) drawn
with matplotlib beside the Markdown file.
"""

from __future__ import annotations

import importlib.metadata
import math
import os
import platform
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psycopg.sql

if TYPE_CHECKING:
    from bench.load.__main__ import Results
    from bench.load.stack import Stack

PACKAGES = (
    "uvicorn",
    "uvloop",
    "httptools",
    "asyncpg",
    "psycopg",
    "gunicorn",
    "flask",
    "procrastinate",
    "pyjwt",
    "granian",
)


def machine() -> dict[str, str]:
    cpu = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = Path("/proc/meminfo").read_text().split("\n", 1)[0].split()[1]
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    wrk = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)
    return {
        "cpu": f"{os.cpu_count()} cores, {cpu}",
        "memory": f"{int(mem) // 1024} MiB",
        "kernel": platform.release(),
        "python": platform.python_version(),
        "packages": ", ".join(f"{k} {v}" for k, v in versions.items()),
        "wrk": (wrk.stdout + wrk.stderr).split("\n", 1)[0].split(" Copyright")[0],
        "load average at start": " ".join(Path("/proc/loadavg").read_text().split()[:3]),
    }


def dataset(s: Stack) -> dict[str, Any]:
    out: dict[str, Any] = {"generated_seconds": round(s.load_seconds, 1)}
    with s.admin.connect() as conn:
        row = conn.execute("SHOW server_version").fetchone()
        out["postgresql"] = str(row[0]) if row else "?"
        for table in (
            "api.users",
            "api.workspaces",
            "api.memberships",
            "api.documents",
            "api.ai_requests",
        ):
            count = psycopg.sql.SQL("SELECT count(*) FROM {}").format(
                psycopg.sql.Identifier(*table.split("."))
            )
            row = conn.execute(count).fetchone()
            out[table] = int(str(row[0])) if row else 0
        row = conn.execute(
            "SELECT max(n), percentile_disc(0.5) WITHIN GROUP (ORDER BY n) FROM"
            " (SELECT count(*) AS n FROM api.memberships GROUP BY workspace_id) x"
        ).fetchone()
        out["members per workspace (max, median)"] = f"{row[0]}, {row[1]}" if row else "?"
        row = conn.execute(
            "SELECT max(n), avg(n)::numeric(4,2) FROM"
            " (SELECT count(*) AS n FROM api.memberships GROUP BY user_id) x"
        ).fetchone()
        out["workspaces per user (max, mean)"] = f"{row[0]}, {row[1]}" if row else "?"
    return out


def _ms(v: float | None) -> str:
    return "-" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.1f}"


def _ms2(v: float | None) -> str:
    return "-" if v is None else f"{v:.2f}"


def _errors(errors: dict[str, int]) -> str:
    return ", ".join(f"{k}: {v}" for k, v in sorted(errors.items())) or "0"


def _closed_tables(res: Results) -> list[str]:
    lines = [
        "## Closed loop: throughput and latency at fixed concurrency, beside pgbench",
        "",
        "| scenario | connections | req/s | p50 ms | p95 ms | p99 ms | errors | pgbench tps"
        " | gateway ÷ pgbench | gateway CPU ms/req | PostgreSQL CPU ms/req |",
        "|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|",
    ]
    for r in res.closed:
        lat = r["latency_ms"]
        tps = r["pgbench_tps"]
        ratio = f"{r['rps'] / tps:.2f}" if tps else "-"
        lines.append(
            f"| {r['scenario']} | {r['connections']} | {r['rps']:,.0f} | {_ms(lat.get('p50'))}"
            f" | {_ms(lat.get('p95'))} | {_ms(lat.get('p99'))} | {_errors(r['errors'])}"
            f" | {f'{tps:,.0f}' if tps else '-'} | {ratio}"
            f" | {_ms2(r['extra'].get('gateway cpu ms/request'))}"
            f" | {_ms2(r['extra'].get('postgres cpu ms/request'))} |"
        )
    return [*lines, ""]


def _open_tables(res: Results) -> list[str]:
    lines = [
        "## Open loop: the mixed workload at offered rates (exponential gaps per connection)",
        "",
        "| connections | offered req/s | achieved req/s | p50 ms | p90 ms | p99 ms | p99.9 ms"
        " | max ms | errors |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in res.open:
        lat = r["latency_ms"]
        lines.append(
            f"| {r['connections']:,} | {r['offered']:,.0f} | {r['rps']:,.0f}"
            f" | {_ms(lat.get('p50'))}"
            f" | {_ms(lat.get('p90'))} | {_ms(lat.get('p99'))} | {_ms(lat.get('p99.9'))}"
            f" | {_ms(lat.get('max'))} | {_errors(r['errors'])} |"
        )
    lines.append("")
    for conns, rate in res.knee.items():
        lines.append(
            f"- Knee over {int(conns):,} connections: "
            + (
                f"{rate:,} req/s offered is the highest rate with p99 ≤ 200 ms and 0 errors"
                if rate
                else "even the lowest rate measured crossed p99 200 ms or had errors"
            )
        )
    return [*lines, ""]


def _async_tables(res: Results) -> list[str]:
    lines: list[str] = []
    if res.prompts:
        pr = res.prompts
        http = pr["http"]
        lines += [
            "## run_prompt through the worker to `succeeded` (fake provider, no latency)",
            "",
            f"Open loop at {http['offered']:.0f} requests/s over {http['connections']}"
            f" connections for {http['seconds']:.0f} s: {http['rps']:.1f} req/s answered,"
            f" HTTP p50 {_ms(http['latency_ms'].get('p50'))} ms, p99"
            f" {_ms(http['latency_ms'].get('p99'))} ms, errors {_errors(http['errors'])}."
            f" {pr['succeeded']:,} of {pr['created']:,} requests created reached `succeeded`"
            f" (others: {pr['other'] or 'none'}), the last {pr['drained_seconds']:.1f} s after"
            f" the load stopped; created_at → finished_at p50 {_ms(pr['end_to_end_ms'].get('p50'))}"
            f" ms, p90 {_ms(pr['end_to_end_ms'].get('p90'))} ms, p99"
            f" {_ms(pr['end_to_end_ms'].get('p99'))} ms.",
            "",
        ]
    if res.streams:
        st = res.streams
        lines += [
            "## Streamed completions through the gateway to the sidecar",
            "",
            f"{res.plan['streams']} concurrent streams (bench/ai_streams.py; fake provider: 50 ms"
            " to the first token, 20 chunks 20 ms apart) for"
            f" {st['elapsed_s']:.0f} s: {st['completed']:,} completed, errors {st['errors'] or 0};"
            f" time to first token p50 {_ms(st.get('ttft_p50'))} ms, p99 {_ms(st.get('ttft_p99'))}"
            f" ms; gap between chunks p99 {_ms(st.get('gap_p99'))} ms (20 ms is the provider's).",
            "",
        ]
    if res.sse:
        sse = res.sse
        lines += [
            "## SSE subscribers held open during the open-loop runs",
            "",
            f"{sse['subscribers']:,} subscribers (one `workspace:<id>` topic each, its member's"
            f" token): {sse['connected']:,} connected in {sse['ramp_seconds']:.1f} s,"
            f" {sse['failed']} failed; {sse['received']:,} of {sse['expected_deliveries']:,}"
            f" expected deliveries (the open-loop writes' events x subscribers of their"
            f" workspace) arrived; closed by the server: {sse['closed_by_server']};"
            f" errors {sse['errors'] or 0}.",
            "",
        ]
    return lines


def _soak_table(res: Results) -> list[str]:
    if not res.soak:
        return []
    run = res.soak["run"]
    before = {(r["component"], r["pid"]): r for r in res.soak["before"]}
    lines = [
        f"## Memory: RSS before and after {run['seconds']:.0f} s at {run['offered']:.0f}"
        " requests/s (mixed)",
        "",
        f"Soak: {run['rps']:,.0f} req/s achieved, p99 {_ms(run['latency_ms'].get('p99'))} ms,"
        f" errors {_errors(run['errors'])}. PostgreSQL's RSS counts the shared buffers each"
        " backend has touched, so its private (anonymous) memory is the figure for leaks.",
        "",
        "| component | processes | RSS before MiB | RSS after MiB | growth | private before MiB"
        " | private after MiB | growth |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    comps: dict[str, list[tuple[int, int, int, int]]] = {}
    for r in res.soak["after"]:
        b = before.get((r["component"], r["pid"]))
        if b is None:
            continue  # a process that started during the soak (a new backend)
        comps.setdefault(r["component"], []).append(
            (b["rss_kb"], r["rss_kb"], b["anon_kb"], r["anon_kb"])
        )
    for name, rows in comps.items():
        rb, ra, ab, aa = (sum(x[i] for x in rows) for i in range(4))
        lines.append(
            f"| {name} | {len(rows)} | {rb / 1024:.1f} | {ra / 1024:.1f} | {_growth(rb, ra)}"
            f" | {ab / 1024:.1f} | {aa / 1024:.1f} | {_growth(ab, aa)} |"
        )
    return [*lines, ""]


def _growth(before: int, after: int) -> str:
    return f"{(after - before) / before * 100:+.1f}%" if before else "-"


def plots(res: Results, out: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    made: list[Path] = []
    if res.open:
        fig, ax = plt.subplots(figsize=(7, 4.2))
        for conns in sorted({r["connections"] for r in res.open}):
            rows = [r for r in res.open if r["connections"] == conns]
            rates = [r["offered"] for r in rows]
            for pct, style in (("p50", ":"), ("p90", "--"), ("p99", "-")):
                ax.plot(
                    rates,
                    [r["latency_ms"].get(pct, math.nan) for r in rows],
                    style,
                    marker="o",
                    label=f"{pct}, {conns:,} connections",
                )
        ax.axhline(200, color="grey", linewidth=0.8)
        ax.set_yscale("log")
        ax.set_xlabel("offered requests/s (mixed workload)")
        ax.set_ylabel("latency ms (log)")
        ax.set_title("Open loop: latency percentiles against offered rate")
        ax.legend(fontsize=7)
        path = out.with_name(out.stem + "-latency.png")
        fig.tight_layout()
        fig.savefig(path, dpi=110)
        plt.close(fig)
        made.append(path)
    if res.closed:
        fig, ax = plt.subplots(figsize=(7, 4.2))
        for name in dict.fromkeys(r["scenario"] for r in res.closed):
            rows = [r for r in res.closed if r["scenario"] == name]
            ax.plot(
                [r["connections"] for r in rows], [r["rps"] for r in rows], marker="o", label=name
            )
        ax.set_xlabel("connections (closed loop)")
        ax.set_ylabel("requests/s")
        ax.set_title("Closed loop: throughput against concurrency")
        ax.legend(fontsize=7)
        path = out.with_name(out.stem + "-throughput.png")
        fig.tight_layout()
        fig.savefig(path, dpi=110)
        plt.close(fig)
        made.append(path)
    return made


def write(res: Results, out: Path) -> None:
    images = plots(res, out)
    p = res.plan
    lines = [
        f"# Taproot under load: signed-in users, RLS, beside the pgbench ceiling ({res.started})",
        "",
        "Made by `python -m bench.load` (bench/README.md). " + " ".join(res.notes),
        "",
        "## Machine and versions",
        "",
        *(f"- {k}: {v}" for k, v in res.machine.items()),
        f"- PostgreSQL {res.dataset.get('postgresql', '?')} (embedded cluster, taproot's"
        " settings); gateway: 2 processes (uvicorn, uvloop, httptools), asyncpg pool 10 each;"
        " sidecar: gunicorn 2 x 256 threads; 1 worker",
        f"- plan: {p['seconds']:.0f} s per closed-loop point, {p['open_seconds']:.0f} s per"
        f" open-loop point, soak {p['soak_seconds']:.0f} s at {p['soak_rate']} req/s."
        " wrk (2 threads) shares the two cores with everything it measures (not pinned:"
        " there is no spare core); pgbench runs against the same cluster, with the gateway"
        " idle.",
        "",
        "## Dataset",
        "",
        *(f"- {k}: {v:,}" if isinstance(v, int) else f"- {k}: {v}" for k, v in res.dataset.items()),
        "",
        *_closed_tables(res),
        *_open_tables(res),
        *_async_tables(res),
        *_soak_table(res),
        "## Plots",
        "",
        *(f"![{img.stem}]({img.name})" for img in images),
        "",
        "## The SQL pgbench ran (captured from the gateway's transaction)",
        "",
    ]
    for name, script in res.sql.items():
        short = script if len(script) < 6000 else script[:6000] + "\n…"
        lines += [f"### {name}", "", "```sql", short.rstrip(), "```", ""]
    out.write_text("\n".join(lines) + "\n")

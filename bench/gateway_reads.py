"""Gateway read benchmark: GET by primary key and GET of 10 filtered, ordered rows.

Run: `.venv/bin/python -m bench.gateway_reads [--seconds N]`; writes
bench/reports/gateway-reads.md. Each scenario is measured with wrk against the gateway
and with pgbench running the SQL the gateway sent for the same request, at 10 and 50
connections.
"""

from __future__ import annotations

import argparse
import datetime
import re
from dataclasses import dataclass
from pathlib import Path

import requests

from bench.harness import HttpResult, capture_sql, ensure_tools, machine, pgbench, stack, wrk

HERE = Path(__file__).parent
CLIENTS = (10, 50)


@dataclass(frozen=True)
class Scenario:
    title: str
    lua_path: str  # a Lua expression for the request path
    sample_path: str  # one concrete request, used to capture the SQL
    pgbench_vars: str  # pgbench \set lines for what varies
    varying: dict[str, str]  # literal in the captured SQL → pgbench variable


SCENARIOS = (
    Scenario(
        title="GET by primary key (12-row table)",
        lua_path='"/items?id=eq." .. math.random(1, 12)',
        sample_path="/items?id=eq.7",
        pgbench_vars="\\set id random(1, 12)\n",
        varying={"'7'": ":id"},
    ),
    Scenario(
        title="GET 10 filtered, ordered rows (100k-row table)",
        lua_path='"/products?select=id,name,price&category=eq.cat" .. math.random(0, 49)'
        ' .. "&order=price.desc&limit=10"',
        sample_path="/products?select=id,name,price&category=eq.cat17&order=price.desc&limit=10",
        pgbench_vars="\\set cat random(0, 49)\n",
        varying={"'cat17'": "'cat' || :cat"},
    ),
)


def _lua(scenario: Scenario, token: str) -> str:
    return (
        "math.randomseed(os.time())\n"
        f'wrk.headers["Authorization"] = "Bearer {token}"\n'
        "request = function()\n"
        f'  return wrk.format("GET", {scenario.lua_path})\n'
        "end\n"
    )


def _pgbench_script(scenario: Scenario, statements: list[str]) -> str:
    body = "\n".join(statements)
    for literal, variable in scenario.varying.items():
        body = body.replace(literal, variable)
    # pgbench reads one statement per line unless continued; fold each onto one line.
    lines = [re.sub(r"\s*\n\s*", " ", stmt) for stmt in body.split(";\n")]
    return scenario.pgbench_vars + ";\n".join(lines) + "\n"


@dataclass
class Row:
    scenario: Scenario
    clients: int
    http: HttpResult
    tps: float


def run(seconds: int) -> tuple[list[Row], dict[str, str]]:
    ensure_tools()
    rows: list[Row] = []
    scripts: dict[str, str] = {}
    with stack(HERE / "fixtures.sql", schemas="bench", anon_role="bench_anon", workers=2) as s:
        token = s.token("bench_user")
        auth = {"Authorization": f"Bearer {token}"}
        for scenario in SCENARIOS:
            url = s.base_url + scenario.sample_path
            response = requests.get(url, headers=auth, timeout=5)
            response.raise_for_status()

            def send(u: str = url) -> requests.Response:
                return requests.get(u, headers=auth, timeout=5)

            statements = capture_sql(s, send)
            script = _pgbench_script(scenario, statements)
            scripts[scenario.title] = script
            for clients in CLIENTS:
                wrk(s.base_url, _lua(scenario, token), clients, 3)  # warm-up
                http = wrk(s.base_url, _lua(scenario, token), clients, seconds)
                tps = pgbench(s, script, clients, seconds)
                rows.append(Row(scenario, clients, http, tps))
                print(f"{scenario.title} c={clients}: {http.rps:.0f} req/s vs {tps:.0f} tps")
    return rows, scripts


def report(rows: list[Row], scripts: dict[str, str], seconds: int, s_info: str) -> str:
    lines = [
        "# Gateway reads: requests/s beside the pgbench ceiling",
        "",
        f"Run {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC on {s_info};"
        f" {seconds}s per measurement after a 3s warm-up. Gateway: `python -m gateway`,"
        " 2 worker processes (uvicorn, uvloop, httptools), asyncpg pool. Load: wrk, 2"
        " threads, a fresh HS256 JWT on every request (role switch + claims, like a"
        " signed-in user). Ceiling: pgbench -M prepared -j 2 at the same client count,"
        " running the statements the gateway sent for that request (captured from the"
        " server log with log_statement=all, parameters inlined, the varying id/category"
        " as pgbench variables). The load generator shares the machine's two cores with"
        " the gateway and PostgreSQL (there is no spare core to pin it to), in both runs.",
        "",
        "| scenario | clients | gateway req/s | p50 ms | p99 ms | pgbench tps | ratio |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r.scenario.title} | {r.clients} | {r.http.rps:,.0f} | {r.http.p50_ms:.2f} |"
            f" {r.http.p99_ms:.2f} | {r.tps:,.0f} | {r.http.rps / r.tps:.2f} |"
        )
    lines += ["", "## The SQL measured by pgbench", ""]
    for title, script in scripts.items():
        lines += [f"### {title}", "", "```sql", script.rstrip(), "```", ""]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()
    rows, scripts = run(args.seconds)
    out = HERE / "reports" / "gateway-reads.md"
    out.write_text(report(rows, scripts, args.seconds, machine()))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()

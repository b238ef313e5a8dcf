"""What the load generator sends: signed-in users with their own tokens, the requests of
each scenario (ids each user may see or change), wrk runs over a request file, and the
pgbench ceiling on the SQL the gateway sent for one of those requests.

Users are members drawn from api.memberships; their ids are md5('user<n>')::uuid as
dataset.sql made them, so a workspace's documents and prompt are known without a query.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import random
import re
import resource
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import jwt

from bench.load.stack import Stack

HERE = Path(__file__).parent
LUA = HERE / "load.lua"
PASSWORD = "load-password"
WRITERS = ("owner", "admin", "member")
# words of dataset.sql's vocabulary, for search queries and new documents
_VOCABULARY = (
    "revenue report quarter growth region cost support backlog customer churn pricing launch"
    " roadmap hiring budget forecast incident outage latency database index query policy"
    " security audit review design api gateway worker queue prompt model token invoice"
)
WORDS = tuple(_VOCABULARY.split())


def md5_uuid(name: str) -> str:
    return str(uuid.UUID(hashlib.md5(name.encode()).hexdigest()))  # noqa: S324 - an id, not a hash


@dataclass(frozen=True)
class Member:
    user: int  # n of user<n>
    workspace: int  # n of ws<n>
    role: str
    token: str

    @property
    def user_id(self) -> str:
        return md5_uuid(f"user{self.user}")

    @property
    def workspace_id(self) -> str:
        return md5_uuid(f"ws{self.workspace}")

    def document(self, rnd: random.Random) -> str:
        # dataset.sql: document d belongs to workspace 1 + (d - 1) % 1000
        return md5_uuid(f"doc{self.workspace + 1000 * rnd.randrange(100)}")


def members(s: Stack, count: int, seed: int = 15) -> list[Member]:
    """`count` memberships drawn at random (with their workspace's fan-out), each with a
    token minted as api.login mints them (auth.jwt_secret(), the same claims)."""
    user_n = {md5_uuid(f"user{n}"): n for n in range(1, 10001)}
    ws_n = {md5_uuid(f"ws{n}"): n for n in range(1, 1001)}
    with s.admin.connect() as conn:
        conn.execute("SELECT setseed(%s)", (seed / 100,))
        rows = conn.execute(
            "SELECT user_id::text, workspace_id::text, role FROM api.memberships"
            " ORDER BY random() LIMIT %s",
            (count,),
        ).fetchall()
    now = int(time.time())
    out = []
    for user_id, workspace_id, role in rows:
        n = user_n[str(user_id)]
        claims = {
            "sub": str(user_id),
            "role": "authenticated",
            "email": f"user{n}@load.test",
            "session_id": str(uuid.uuid4()),
            "iat": now,
            "exp": now + 12 * 3600,
            "aud": "taproot",
        }
        token = jwt.encode(claims, s.secret, "HS256")
        out.append(Member(n, ws_n[str(workspace_id)], str(role), token))
    return out


# -- requests -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    token: str  # "-": anonymous
    body: str | None = None
    prefer: str | None = None

    def line(self) -> str:
        return "\t".join((self.method, self.path, self.token, self.body or "-", self.prefer or "-"))


Make = Callable[[Member, random.Random], Request]


def get_by_pk(m: Member, rnd: random.Random) -> Request:
    return Request("GET", f"/api/documents?id=eq.{m.document(rnd)}", m.token)


def get_page(m: Member, _rnd: random.Random) -> Request:
    return Request(
        "GET",
        f"/api/documents?select=id,title,created_at&workspace_id=eq.{m.workspace_id}"
        "&order=created_at.desc&limit=10",
        m.token,
    )


def get_embed(m: Member, _rnd: random.Random) -> Request:
    return Request(
        "GET",
        f"/api/workspaces?select=id,name,documents(id,title,created_at)&id=eq.{m.workspace_id}"
        "&documents.order=created_at.desc&documents.limit=10",
        m.token,
    )


def search(m: Member, rnd: random.Random) -> Request:
    query = " ".join(rnd.sample(WORDS, 2))
    body = json.dumps({"workspace_id": m.workspace_id, "query": query})
    return Request("POST", "/api/rpc/search_documents?limit=10", m.token, body)


def post_document(m: Member, rnd: random.Random) -> Request:
    body = json.dumps(
        {
            "workspace_id": m.workspace_id,
            "title": f"Load note {rnd.randrange(10**9)}",
            "body": " ".join(rnd.choices(WORDS, k=30)),
        }
    )
    return Request("POST", "/api/documents", m.token, body, "return=minimal")


def patch_document(m: Member, rnd: random.Random) -> Request:
    body = json.dumps({"title": f"Edited {rnd.randrange(10**9)}"})
    return Request(
        "PATCH", f"/api/documents?id=eq.{m.document(rnd)}", m.token, body, "return=minimal"
    )


def login(m: Member, _rnd: random.Random) -> Request:
    body = json.dumps({"email": f"user{m.user}@load.test", "password": PASSWORD})
    return Request("POST", "/api/rpc/login", "-", body)


def run_prompt(m: Member, rnd: random.Random) -> Request:
    body = json.dumps(
        {
            "prompt_id": md5_uuid(f"prompt{m.workspace}"),
            "inputs": {"name": f"n{rnd.randrange(10**6)}"},
        }
    )
    return Request("POST", "/api/rpc/run_prompt", m.token, body, "return=minimal")


# the mixed workload: 80% reads, 15% writes, 5% RPC
MIX: tuple[tuple[Make, float], ...] = (
    (get_by_pk, 0.40),
    (get_page, 0.25),
    (get_embed, 0.15),
    (post_document, 0.075),
    (patch_document, 0.075),
    (search, 0.05),
)
NEEDS_WRITER = {post_document, patch_document, run_prompt}


def request_file(
    path: Path, users: list[Member], make: Make | None, count: int, seed: int = 1
) -> Path:
    """`count` requests, one per line, each by a user drawn from `users` (writers only
    for writes); make=None draws from MIX."""
    rnd = random.Random(seed)
    writers = [m for m in users if m.role in WRITERS]
    makers = [f for f, _ in MIX]
    weights = [w for _, w in MIX]
    with path.open("w") as out:
        for _ in range(count):
            f = make or rnd.choices(makers, weights)[0]
            m = rnd.choice(writers if f in NEEDS_WRITER else users)
            out.write(f(m, rnd).line() + "\n")
    return path


# -- wrk --------------------------------------------------------------------------------------


@dataclass
class Run:
    connections: int
    seconds: float
    offered: float | None  # requests/s aimed at (open loop); None for closed loop
    requests: int
    rps: float
    latency_ms: dict[str, float]  # p50 p90 p95 p99 p99.9 max
    errors: dict[str, int]  # socket connect/read/write/timeout, http <status>
    loadgen_cores: float = 0.0
    extra: dict[str, float] = field(default_factory=dict)

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())


_children_cpu = [0.0]


def _children_seconds() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    total = ru.ru_utime + ru.ru_stime
    used, _children_cpu[0] = total - _children_cpu[0], total
    return used


def wrk(
    s: Stack,
    requests: Path,
    connections: int,
    seconds: float,
    *,
    rate: float | None = None,
    threads: int = 2,
    expected_latency_ms: float = 5.0,
) -> Run:
    """wrk over `requests` in closed loop, or open loop at `rate` requests/s: each
    connection's mean gap is connections / rate minus the expected latency."""
    env = dict(os.environ)
    gap = 0.0
    if rate is not None:
        gap = max(1.0, connections / rate * 1000 - expected_latency_ms)
        env["LOAD_OPEN"] = "1"
    argv = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "10s",
        "-s",
        str(LUA),
        s.base_url,
        "--",
        str(requests),
        str(threads),
        str(gap),
    ]
    _children_seconds()
    started = time.monotonic()
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
    wall = time.monotonic() - started
    cpu = _children_seconds()
    if proc.returncode != 0 or "RESULT" not in proc.stdout:
        raise RuntimeError(f"wrk failed ({proc.returncode}): {proc.stderr.strip()}\n{proc.stdout}")
    return _parse(proc.stdout, connections, rate, cpu / wall)


def _parse(out: str, connections: int, rate: float | None, cores: float) -> Run:
    result = next(line for line in out.splitlines() if line.startswith("RESULT "))
    counts = {k: int(v) for k, v in (kv.split("=") for kv in result.split()[1:])}
    seconds = counts["duration_us"] / 1e6
    latency: dict[str, float] = {}
    errors: dict[str, int] = {}
    for line in out.splitlines():
        parts = line.split()
        if line.startswith("LATENCY "):
            key = "max" if parts[1] == "max" else f"p{parts[1]}"
            latency[key] = int(parts[2]) / 1000
        elif line.startswith("STATUS "):
            errors[f"http {parts[1]}"] = int(parts[2])
    for kind in ("connect", "read", "write", "timeout"):
        if counts[kind]:
            errors[f"socket {kind}"] = counts[kind]
    return Run(
        connections=connections,
        seconds=seconds,
        offered=rate,
        requests=counts["requests"],
        rps=counts["requests"] / seconds if seconds else math.nan,
        latency_ms=latency,
        errors=errors,
        loadgen_cores=cores,
    )


# -- the ceiling ------------------------------------------------------------------------------


def pgbench_script(statements: list[str]) -> str:
    """The captured statements as a pgbench script: one statement per line."""
    # comment lines go first: folded onto one line they would swallow the rest of it
    lines = [
        " ".join(ln.strip() for ln in stmt.splitlines() if not ln.lstrip().startswith("--"))
        for stmt in statements
    ]
    return "\n".join(lines) + "\n"


def ceiling_scripts(
    sample: Member, doc: str | None, statements: list[str], others: list[Member], seed: int = 3
) -> list[str]:
    """The captured transaction of `sample`'s request, and the same transaction as each
    of `others` (their user id, email, workspace and one of its documents put in place of
    the sample's), so that pgbench, like the gateway's run, spreads over many users and
    rows instead of queueing on one."""
    rnd = random.Random(seed)
    script = pgbench_script(statements)
    out = [script]
    for m in others:
        text = (
            script.replace(sample.user_id, m.user_id)
            .replace(f"user{sample.user}@", f"user{m.user}@")
            .replace(sample.workspace_id, m.workspace_id)
        )
        if doc is not None:
            text = text.replace(doc, m.document(rnd))
        out.append(text)
    return out


def pgbench(s: Stack, scripts: list[str], clients: int, seconds: float) -> float:
    """tps of `scripts` (drawn at random per transaction) at `clients` (-M prepared
    -j 2), as authenticator over TCP, like the gateway."""
    workdir = Path(tempfile.mkdtemp(prefix="taproot-bench-pgbench-"))
    files = []
    for n, script in enumerate(scripts):
        path = workdir / f"s{n}.sql"
        path.write_text(script)
        files += ["-f", f"{path}@1"]
    port = s.db_url.rsplit(":", 1)[1].split("/")[0]
    env = {**os.environ, "PGPASSWORD": s.db_url.split(":")[2].split("@")[0]}
    try:
        proc = subprocess.run(
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
                str(max(1, round(seconds))),
                *files,
                "-h",
                "127.0.0.1",
                "-p",
                port,
                "-U",
                "authenticator",
                "bench",
            ],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    match = re.search(r"tps = ([\d.]+) \(without initial connection time\)", proc.stdout)
    if match is None or proc.returncode != 0:
        errors = "\n".join(proc.stderr.splitlines()[:6])
        raise RuntimeError(f"pgbench failed on\n{scripts[0]}\n{proc.stdout[-2000:]}\n{errors}")
    return float(match.group(1))


# -- the SQL the gateway sent ------------------------------------------------------------------


def capture(s: Stack, req: Request) -> list[str]:
    """The statements of `req`'s transaction, parameters inlined, from the server log
    (log_statement = all for the moment of the request), found by its X-Request-Id."""
    import requests as http

    request_id = f"load-capture-{uuid.uuid4()}"
    headers = {"X-Request-Id": request_id}
    if req.token != "-":
        headers["Authorization"] = f"Bearer {req.token}"
    if req.body is not None:
        headers["Content-Type"] = "application/json"
    if req.prefer:
        headers["Prefer"] = req.prefer
    with s.admin.connect() as conn:
        conn.execute("ALTER SYSTEM SET log_statement = 'all'")
        conn.execute("ALTER SYSTEM SET log_parameter_max_length = -1")
        conn.execute("SELECT pg_reload_conf()")
    time.sleep(0.5)
    log = s.cluster.log_file
    offset = log.stat().st_size
    try:
        response = http.request(
            req.method, s.base_url + req.path, data=req.body, headers=headers, timeout=10
        )
        response.raise_for_status()
        time.sleep(0.5)
    finally:
        with s.admin.connect() as conn:
            conn.execute("ALTER SYSTEM RESET log_statement")
            conn.execute("ALTER SYSTEM RESET log_parameter_max_length")
            conn.execute("SELECT pg_reload_conf()")
    with log.open() as handle:
        handle.seek(offset)
        lines = handle.read().splitlines()
    return _transaction_of(lines, request_id)


_LOG_LINE = re.compile(r"^\S+ \S+ \S+ \[(\d+)\] ")


def _transaction_of(lines: list[str], request_id: str) -> list[str]:
    """The lines of the backend that served `request_id`, from its BEGIN to its COMMIT,
    as statements (bench.harness's parser)."""
    from bench.harness import _statements

    pid = next(
        (m.group(1) for line in lines if request_id in line and (m := _LOG_LINE.match(line))),
        None,
    )
    if pid is None:
        raise RuntimeError(f"request {request_id} not found in the server log")
    mine: list[str] = []
    current: str | None = None
    for line in lines:
        match = _LOG_LINE.match(line)
        if match is not None:
            current = match.group(1)
        if current == pid:
            mine.append(line)
    statements = _statements(mine)
    # the request's own transaction: the BEGIN before its set_config, up to the COMMIT after
    at = next(i for i, st in enumerate(statements) if request_id in st)
    begin = max(i for i in range(at + 1) if statements[i].upper().startswith("BEGIN"))
    end = next(
        i
        for i in range(at, len(statements))
        if statements[i].upper().startswith(("COMMIT", "ROLLBACK"))
    )
    return statements[begin : end + 1]

"""`taproot doctor`: the readiness checks and configuration problems, for a person.

The same checks as GET /api/ready (database, schema at the plan's last change, a worker's
heartbeat, queue lag, the sidecar and its provider circuits), plus what only a person
can fix: settings that do not validate, processes that do not answer. Each problem comes
with what to do about it. Exit status 1 when something is wrong (warnings do not count).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TextIO

import psycopg
import requests

from taproot import logs
from taproot.database import plan_changes
from taproot.errors import TaprootError
from taproot.settings import Settings
from taproot.target import Target, resolve

OK, WARN, FAIL = "ok", "warn", "FAIL"


@dataclass(frozen=True)
class Finding:
    status: str  # ok | warn | FAIL
    check: str
    detail: str
    fix: str = ""


def _database(target: Target) -> tuple[list[Finding], dict[str, Any] | None]:
    if target.cluster is not None and not target.cluster.running():
        return [
            Finding(
                FAIL,
                "database",
                f"the embedded cluster in {target.cluster.data_dir} is not running",
                "start everything with `bin/taproot up` "
                "(or only PostgreSQL: `bin/taproot db start`)",
            )
        ], None
    try:
        with target.db.connect() as conn:
            conn.execute("SET statement_timeout = '5s'")
            if conn.execute("SELECT to_regprocedure('app.readiness(jsonb)')").fetchone() == (None,):
                return [
                    Finding(OK, "database", "reachable"),
                    Finding(
                        FAIL,
                        "schema",
                        "app.readiness is missing: the schema is behind the code",
                        "deploy the plan: `bin/taproot migrate` (`up` does it on start)",
                    ),
                ], None
            options = {"expected_change": plan_changes()[-1]}
            row = conn.execute("SELECT app.readiness(%s::jsonb)", (json.dumps(options),)).fetchone()
    except (TaprootError, psycopg.Error) as exc:
        return [
            Finding(
                FAIL,
                "database",
                str(exc).strip(),
                "is PostgreSQL running and DATABASE_URL (or TAPROOT_PG_PORT) right? "
                "`bin/taproot db status` shows the embedded cluster",
            )
        ], None
    assert row is not None
    checks = row[0]
    if not isinstance(checks, dict):
        return [Finding(FAIL, "database", "app.readiness returned no object")], None
    return [Finding(OK, "database", f"reachable ({target.db.name})")], checks


def _schema(check: dict[str, Any]) -> Finding:
    if check.get("ok"):
        return Finding(OK, "schema", f"at {check.get('expected')} (the plan's last change)")
    return Finding(
        FAIL,
        "schema",
        f"behind the plan: {check.get('expected')} is not deployed "
        f"(last deployed: {check.get('deployed')})",
        "deploy the plan: `bin/taproot migrate` (`up` migrates on start)",
    )


def _worker(check: dict[str, Any]) -> Finding:
    if check.get("ok"):
        fresh = check.get("fresh_workers")
        return Finding(OK, "worker", f"{fresh} worker(s) with a fresh heartbeat")
    age = check.get("last_heartbeat_age_seconds")
    seen = "no worker has ever beaten" if age is None else f"the newest heartbeat is {age} s old"
    return Finding(
        FAIL,
        "worker",
        f"no worker heartbeat within {check.get('max_heartbeat_age_seconds')} s ({seen})",
        "start one: `bin/taproot up` runs TAPROOT_WORKER_PROCESSES of them, "
        "`bin/taproot worker` adds one; a crashed one logs why (docs/operations.md, Runbook)",
    )


def _queue(check: dict[str, Any]) -> Finding:
    queues = check.get("queues") or {}
    summary = ", ".join(f"{q}: {v['runnable']} runnable" for q, v in sorted(queues.items()))
    if check.get("ok"):
        return Finding(OK, "queue", f"lag {check.get('lag_seconds')} s ({summary or 'empty'})")
    return Finding(
        FAIL,
        "queue",
        f"lag {check.get('lag_seconds')} s over {check.get('max_lag_seconds')} s ({summary})",
        "add workers (`bin/taproot worker`, TAPROOT_WORKER_CONCURRENCY) or find what is slow: "
        "SELECT * FROM app.job_queue_stats (docs/operations.md, Runbook: queue backlog)",
    )


def _http(name: str, url: str, fix: str) -> tuple[Finding, dict[str, Any] | None]:
    try:
        answer = requests.get(url, timeout=5)
    except requests.RequestException as exc:
        return Finding(FAIL, name, f"{url} does not answer ({type(exc).__name__})", fix), None
    try:
        body = answer.json()
    except ValueError:
        body = None
    if answer.status_code != 200:
        failing = ", ".join(body.get("failing", [])) if isinstance(body, dict) else ""
        detail = f"{url} answers {answer.status_code}"
        if failing:
            detail += f" (failing: {failing})"
        return Finding(FAIL, name, detail, fix), body if isinstance(body, dict) else None
    return Finding(OK, name, f"{url} answers 200"), body if isinstance(body, dict) else None


def _breakers(body: dict[str, Any] | None) -> list[Finding]:
    states = (body or {}).get("breakers") or {}
    found = []
    for credential, state in sorted(states.items()):
        if state != "closed":
            found.append(
                Finding(
                    WARN,
                    f"provider {credential}",
                    f"circuit {state}: calls through {credential} fail fast",
                    "check the provider's status page and its key; the circuit closes by itself "
                    "after TAPROOT_AI_BREAKER_RESET_SECONDS once a call succeeds",
                )
            )
    if states and not found:
        found.append(Finding(OK, "providers", f"circuits closed ({', '.join(sorted(states))})"))
    return found


def _configuration(target: Target, settings: Settings) -> list[Finding]:
    """Whether the processes `up` starts would accept the configuration it gives them."""
    from sidecar.settings import SettingsError
    from sidecar.settings import load as sidecar_settings

    from gateway.config import ConfigError
    from gateway.config import load as gateway_config
    from taproot.up import gateway_env, secrets_key, sidecar_env

    found: list[Finding] = []
    try:
        logs.log_format()
    except ValueError as exc:
        found.append(
            Finding(FAIL, "config", str(exc), "set TAPROOT_LOG_FORMAT to auto, json or text")
        )
    secret = settings.jwt_secret
    if not secret:  # read, never set: the doctor changes nothing
        try:
            with target.db.connect() as conn:
                row = conn.execute("SELECT auth.jwt_secret()").fetchone()
        except (TaprootError, psycopg.Error):
            return found  # the database finding says why
        secret = str(row[0]) if row else ""
    checks: list[tuple[str, Callable[[], object], tuple[type[Exception], ...]]] = [
        ("gateway", lambda: gateway_config(gateway_env(target, settings, secret)), (ConfigError,)),
        (
            "sidecar",
            lambda: sidecar_settings(
                sidecar_env(target, settings, secret, secrets_key(target, settings))
            ),
            (SettingsError,),
        ),
    ]
    for name, check, errors in checks:
        try:
            check()
        except errors as exc:
            fix = "fix the variable it names (docs/configuration.md)"
            found.append(Finding(FAIL, f"{name} config", str(exc), fix))
    if not found:
        found.append(Finding(OK, "config", "the gateway's and the sidecar's settings validate"))
    return found


def diagnose(settings: Settings) -> list[Finding]:
    target = resolve(settings)
    findings, checks = _database(target)
    if checks is not None:
        findings += [_schema(checks.get("schema", {})), _worker(checks.get("worker", {}))]
        findings.append(_queue(checks.get("queue", {})))
        findings += _configuration(target, settings)
    base = f"http://{settings.api_host}:{settings.api_port}/api"
    start = "is it running? `bin/taproot up` starts it (API_PORT / SIDECAR_PORT choose the ports)"
    live, _ = _http("gateway", f"{base}/live", start)
    findings.append(live)
    if live.status == OK:
        ready, _ = _http(
            "ready", f"{base}/ready", "the checks above say what is failing; `curl .../api/ready`"
        )
        findings.append(ready)
    sidecar, body = _http(
        "sidecar", f"http://{settings.sidecar_host}:{settings.sidecar_port}/api/ai/health", start
    )
    findings.append(sidecar)
    findings += _breakers(body)
    return findings


def report(findings: list[Finding], out: TextIO) -> int:
    width = max(len(f.check) for f in findings)
    for f in findings:
        print(f"{f.status:<4}  {f.check:<{width}}  {f.detail}", file=out)
        if f.fix and f.status != OK:
            print(f"{'':<4}  {'':<{width}}  -> {f.fix}", file=out)
    failed = [f for f in findings if f.status == FAIL]
    print(
        f"\n{len(failed)} problem(s)" if failed else "\neverything looks right",
        file=out,
    )
    return 1 if failed else 0


def run(settings: Settings) -> int:
    os.environ.setdefault(logs.FORMAT_VARIABLE, "auto")
    return report(diagnose(settings), sys.stdout)

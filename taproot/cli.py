"""The `taproot` command: argument parsing and dispatch, nothing else."""

from __future__ import annotations

import argparse
import os
import sys

from taproot import database
from taproot.errors import TaprootError
from taproot.settings import Settings, load_settings
from taproot.target import resolve


def _db(settings: Settings, action: str) -> int:
    target = resolve(settings)
    cluster = target.cluster
    if action in ("start", "stop", "reset") and cluster is None:
        raise TaprootError(f"DATABASE_URL is set: there is no embedded cluster to {action}")
    if action == "start":
        assert cluster is not None
        cluster.start()
        print(f"PostgreSQL running on 127.0.0.1:{cluster.port} (data in {cluster.data_dir})")
    elif action == "stop":
        assert cluster is not None
        cluster.stop()
        print("PostgreSQL stopped")
    elif action == "status":
        if cluster is not None:
            state = f"running (pid {cluster.pid()})" if cluster.running() else "stopped"
            print(f"embedded cluster {cluster.data_dir}: {state}, port {cluster.port}")
        if cluster is None or cluster.running():
            print(database.status(target.db), end="")
    elif action == "reset":
        assert cluster is not None
        cluster.destroy()
        print(f"removed {cluster.data_dir}")
    elif action == "psql":
        os.execvp("psql", ["psql", target.db.url])
    return 0


def _migrate(settings: Settings, revert_to: str | None, revert: bool) -> int:
    from taproot.provision import prepare

    target = resolve(settings)
    if revert:
        database.revert(target.db, revert_to)
    else:
        prepare(target.db, settings)
    print(database.status(target.db), end="")
    return 0


def _types(settings: Settings, out: str | None) -> int:
    """TypeScript types of schema `api` for postgrest-js, from the migrated database."""
    from pathlib import Path

    from gateway.typescript import types_for_database

    target = resolve(settings)
    if target.cluster is not None and not target.cluster.running():
        raise TaprootError("the embedded cluster is not running; start it with `taproot up`")
    import asyncpg

    try:
        source = types_for_database(target.db.url, ["api"])
    except (OSError, ValueError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        raise TaprootError(f"cannot read the schema: {exc}") from exc
    if out:
        try:
            Path(out).write_text(source)
        except OSError as exc:
            raise TaprootError(f"cannot write {out}: {exc.strerror}") from exc
        print(f"wrote {out}", file=sys.stderr)
    else:
        sys.stdout.write(source)
    return 0


def _worker_env(settings: Settings) -> dict[str, str]:
    """The environment of a worker (or of Procrastinate's CLI) against this Taproot's database."""
    from taproot.up import secrets_key, worker_env

    target = resolve(settings)
    if target.cluster is not None and not target.cluster.running():
        raise TaprootError("the embedded cluster is not running; start it with `taproot up`")
    return worker_env(target, settings, secrets_key(target, settings))


def _worker(settings: Settings, extra: list[str]) -> int:
    """One more worker process in the foreground (`taproot up` already runs one)."""
    env = _worker_env(settings)
    os.execve(sys.executable, [sys.executable, "-m", "workers", *extra], env)


def _procrastinate(settings: Settings, extra: list[str]) -> int:
    """Procrastinate's own CLI (shell, healthchecks, defer…) against our database."""
    env = _worker_env(settings)
    argv = [sys.executable, "-m", "procrastinate", "--app=workers.app.app", *extra]
    os.execve(sys.executable, argv, env)


def _mail(settings: Settings, action: str | None, number: int | None, html: bool) -> int:
    """The local inbox: list the messages, or print one (its text part, or --html)."""
    from taproot.up import mail_dir
    from workers.mail.inbox import entries, text_of

    folder = mail_dir(settings)
    messages = entries(folder)
    if action is None:
        if not messages:
            print(
                f"no mail in {folder} (the workers keep mail here when TAPROOT_SMTP_HOST is unset)"
            )
        for n, entry in enumerate(messages, start=1):
            print(f"{n:>4}  {entry.date}  {entry.to}  {entry.subject}")
        return 0
    if not messages:
        raise TaprootError(f"no mail in {folder}")
    if action == "last":
        number = len(messages)
    if number is None or not 1 <= number <= len(messages):
        raise TaprootError(f"there is no message {number}: choose 1 to {len(messages)}")
    message = messages[number - 1].message
    for header in ("Date", "From", "To", "Subject"):
        print(f"{header}: {message.get(header, '')}")
    print()
    if html:
        part = message.get_body(preferencelist=("html",))
        print(part.get_content() if part is not None else text_of(message), end="")
    else:
        print(text_of(message), end="")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="taproot", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("up", help="run the whole backend on the embedded cluster (Ctrl-C stops it)")
    test = sub.add_parser("test", help="run every test on a throwaway cluster")
    test.add_argument(
        "--only",
        action="append",
        choices=["lint", "db", "pytest"],
        help="run only this stage (repeatable): lint, db (sqitch + pgTAP), pytest",
    )
    test.add_argument("pytest_args", nargs=argparse.REMAINDER, help="passed to pytest")
    db = sub.add_parser("db", help="manage the embedded cluster")
    db.add_argument("action", choices=["start", "stop", "status", "psql", "reset"])
    mig = sub.add_parser("migrate", help="bootstrap roles and deploy the sqitch plan")
    mig.add_argument("--revert", action="store_true", help="revert instead of deploying")
    mig.add_argument("--to", help="with --revert: the change to revert to")
    sub.add_parser("setup", help="install what is missing (venv, Debian packages) and exit")
    worker = sub.add_parser("worker", help="run a Procrastinate worker process in the foreground")
    worker.add_argument("--concurrency", help="jobs run at once (default 100)")
    worker.add_argument("--queues", help="comma-separated queues to serve (default: all)")
    worker.add_argument("--name", help="worker name in logs")
    proc = sub.add_parser("procrastinate", help="Procrastinate's CLI on Taproot's database")
    proc.add_argument("args", nargs=argparse.REMAINDER, help="e.g. healthchecks, shell")
    sub.add_parser(
        "doctor", help="check database, schema, workers, queue, gateway, sidecar (1: problems)"
    )
    mail = sub.add_parser("mail", help="read the local inbox (mail kept without TAPROOT_SMTP_HOST)")
    mail.add_argument("action", nargs="?", choices=["show", "last"], help="print one message")
    mail.add_argument(
        "number", nargs="?", type=int, help="with show: the number `taproot mail` lists"
    )
    mail.add_argument("--html", action="store_true", help="print the HTML part instead of the text")
    types = sub.add_parser("types", help="TypeScript types of the REST API for postgrest-js")
    types.add_argument("--out", help="write to this file instead of stdout")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
        if args.command == "up":
            from taproot import up

            return up.run(settings)
        if args.command == "test":
            from taproot import testrun

            extra = [a for a in args.pytest_args if a != "--"]
            stages = tuple(args.only) if args.only else testrun.STAGES
            return testrun.run(settings, extra, stages=stages)
        if args.command == "db":
            return _db(settings, args.action)
        if args.command == "migrate":
            return _migrate(settings, args.to, args.revert)
        if args.command == "worker":
            extra = [
                f"--{name}={value}"
                for name in ("concurrency", "queues", "name")
                if (value := getattr(args, name)) is not None
            ]
            return _worker(settings, extra)
        if args.command == "procrastinate":
            return _procrastinate(settings, [a for a in args.args if a != "--"])
        if args.command == "mail":
            return _mail(settings, args.action, args.number, args.html)
        if args.command == "types":
            return _types(settings, args.out)
        if args.command == "doctor":
            from taproot import doctor

            return doctor.run(settings)
        if args.command == "setup":
            from taproot import system_deps

            system_deps.ensure(for_tests=True)
            print("taproot: everything is installed")
            return 0
    except TaprootError as exc:
        print(f"taproot: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    raise AssertionError(args.command)

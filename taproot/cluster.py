"""The embedded PostgreSQL cluster: a private data folder, its own port and socket.

initdb refuses to run as root, so as root every server command runs as the `postgres`
OS user, which then owns the data folder. The server listens on 127.0.0.1 and on a
socket inside the data folder; settings are sized for a small (2-core) machine.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pwd
import shutil
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path

from taproot.errors import TaprootError
from taproot.system_deps import Toolchain

SERVER_SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "max_connections": "200",
    "shared_buffers": "'256MB'",
    "effective_cache_size": "'2GB'",
    "work_mem": "'8MB'",
    "maintenance_work_mem": "'128MB'",
    "max_worker_processes": "4",
    "max_parallel_workers_per_gather": "1",
    "max_parallel_workers": "2",
    "wal_level": "'minimal'",
    "max_wal_senders": "0",
    "shared_preload_libraries": "'pg_stat_statements'",
    "pg_stat_statements.track": "'all'",
    "log_min_duration_statement": "'1s'",
    # Bind parameters carry passwords and provider keys: never write them to the log.
    "log_parameter_max_length": "0",
    "log_parameter_max_length_on_error": "0",
    "log_line_prefix": "'%m [%p] %q%u@%d '",
    "timezone": "'UTC'",
}
# Throwaway clusters for tests trade durability for speed; nothing there outlives the run.
EPHEMERAL_SETTINGS = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _postgres_can_reach(path: Path) -> bool:
    """Whether the postgres OS user can traverse to `path` (or its nearest existing parent)."""
    probe = path
    while not probe.exists():
        probe = probe.parent
    result = subprocess.run(
        ["runuser", "-u", "postgres", "--", "test", "-x", str(probe)], check=False
    )
    return result.returncode == 0


def placed_data_dir(requested: Path) -> Path:
    """Where the cluster really lives.

    As root the server runs as `postgres`, which cannot enter a folder under a private
    home (/root is 0700). Such a cluster lives under postgres' own home instead, at a
    path derived from the requested one, so that each checkout keeps its own cluster.
    """
    requested = requested.absolute()
    if os.geteuid() != 0 or _postgres_can_reach(requested):
        return requested
    digest = hashlib.sha256(str(requested).encode()).hexdigest()[:12]
    home = Path(pwd.getpwnam("postgres").pw_dir)
    return home / "taproot" / f"{requested.name}-{digest}"


@dataclass
class Cluster:
    """One PostgreSQL cluster in `data_dir`, served on `port`."""

    tools: Toolchain
    data_dir: Path
    port: int
    ephemeral: bool = False

    def __post_init__(self) -> None:
        self.data_dir = placed_data_dir(self.data_dir)

    @property
    def socket_dir(self) -> Path:
        return self.data_dir / "run"

    @property
    def log_file(self) -> Path:
        return self.data_dir / "server.log"

    @property
    def superuser(self) -> str:
        return "postgres" if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name

    def admin_url(self, dbname: str = "postgres") -> str:
        """A libpq URL for the superuser over the private socket."""
        return f"postgresql://{self.superuser}@/{dbname}?host={self.socket_dir}&port={self.port}"

    def libpq_env(self, dbname: str = "postgres") -> dict[str, str]:
        return {
            "PGHOST": str(self.socket_dir),
            "PGPORT": str(self.port),
            "PGUSER": self.superuser,
            "PGDATABASE": dbname,
        }

    # -- running server commands as the right OS user ------------------------------------

    def _run(self, argv: list[str], *, check: bool = True) -> subprocess.CompletedProcess[str]:
        program = Path(argv[0]).name
        if os.geteuid() == 0:
            argv = ["runuser", "-u", "postgres", "--", *argv]
        result = subprocess.run(
            argv, capture_output=True, text=True, check=False, cwd=self.data_dir.parent
        )
        if check and result.returncode != 0:
            detail = (result.stderr or result.stdout).strip()
            raise TaprootError(f"{program} failed: {detail[-3000:]}")
        return result

    def _chown(self, path: Path) -> None:
        if os.geteuid() == 0:
            entry = pwd.getpwnam("postgres")
            os.chown(path, entry.pw_uid, entry.pw_gid)

    # -- lifecycle -----------------------------------------------------------------------

    def initialized(self) -> bool:
        return (self.data_dir / "PG_VERSION").exists()

    def init(self) -> bool:
        """Create the cluster if absent; True when it was created now."""
        if self.initialized():
            return False
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.data_dir.chmod(0o700)
        self._chown(self.data_dir)
        self._run(
            [
                self.tools.pg("initdb"),
                "-D",
                str(self.data_dir),
                "-U",
                self.superuser,
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
                "--no-instructions",
            ]
        )
        with (self.data_dir / "postgresql.conf").open("a") as conf:
            conf.write("\ninclude_if_exists = 'taproot.conf'\n")
        return True

    def _write_settings(self) -> None:
        settings = {**SERVER_SETTINGS, "port": str(self.port)}
        settings["unix_socket_directories"] = f"'{self.socket_dir}'"
        if self.ephemeral:
            settings.update(EPHEMERAL_SETTINGS)
        conf = self.data_dir / "taproot.conf"
        conf.write_text(
            "# Written by taproot at every start; edit settings via the environment instead.\n"
            + "".join(f"{key} = {value}\n" for key, value in settings.items())
        )
        self._chown(conf)
        self.socket_dir.mkdir(exist_ok=True)
        self._chown(self.socket_dir)

    def pid(self) -> int | None:
        """The running postmaster's PID, or None (a stale pid file counts as not running)."""
        pid_file = self.data_dir / "postmaster.pid"
        try:
            pid = int(pid_file.read_text().split("\n", 1)[0])
        except (OSError, ValueError):
            return None
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            return None
        return pid if b"postgres" in cmdline else None

    def running(self) -> bool:
        return self.pid() is not None

    def start(self, timeout: float = 60.0) -> None:
        if self.running():
            raise TaprootError(f"PostgreSQL is already running in {self.data_dir}")
        if not port_is_free(self.port):
            raise TaprootError(
                f"port {self.port} is already in use; set TAPROOT_PG_PORT to choose another"
            )
        self.init()
        # A crash leaves postmaster.pid behind; its PID may since belong to another
        # process, which would make postgres refuse to start. pid() said it is stale.
        with contextlib.suppress(FileNotFoundError):
            (self.data_dir / "postmaster.pid").unlink()
        self._write_settings()
        self._run(
            [
                self.tools.pg("pg_ctl"),
                "start",
                "-D",
                str(self.data_dir),
                "-l",
                str(self.log_file),
                "-w",
                "-t",
                str(int(timeout)),
                "-s",
            ]
        )

    def stop(self, mode: str = "fast") -> None:
        if not self.running():
            return
        self._run(
            [self.tools.pg("pg_ctl"), "stop", "-D", str(self.data_dir), "-m", mode, "-w", "-s"]
        )

    def destroy(self) -> None:
        self.stop(mode="immediate")
        shutil.rmtree(self.data_dir, ignore_errors=True)

"""The embedded cluster: creation, start/stop, stale pid recovery, port conflicts."""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from taproot import system_deps
from taproot.cluster import Cluster, free_port, port_is_free
from taproot.errors import TaprootError


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    workdir = Path(tempfile.mkdtemp(prefix="taproot-cluster-test-"))
    workdir.chmod(0o755)
    c = Cluster(
        tools=system_deps.ensure(), data_dir=workdir / "pg", port=free_port(), ephemeral=True
    )
    try:
        yield c
    finally:
        c.destroy()
        shutil.rmtree(workdir, ignore_errors=True)


def test_start_creates_and_serves_on_socket_and_tcp(cluster: Cluster) -> None:
    assert not cluster.initialized()
    cluster.start()
    assert cluster.initialized()
    assert cluster.running()
    with psycopg.connect(cluster.admin_url(), autocommit=True) as conn:
        row = conn.execute("SELECT current_setting('port'), current_setting('listen_addresses')")
        assert row.fetchone() == (str(cluster.port), "127.0.0.1")
        preload = conn.execute("SHOW shared_preload_libraries").fetchone()
        assert preload == ("pg_stat_statements",)
        hidden = conn.execute("SHOW log_parameter_max_length").fetchone()
        assert hidden == ("0",)
    assert not port_is_free(cluster.port)
    cluster.stop()
    assert not cluster.running()
    assert port_is_free(cluster.port)


def test_second_start_is_refused(cluster: Cluster) -> None:
    cluster.start()
    with pytest.raises(TaprootError, match="already running"):
        cluster.start()


def test_stale_pid_file_after_crash_is_recovered(cluster: Cluster) -> None:
    cluster.start()
    cluster.stop(mode="immediate")
    # A crash leaves postmaster.pid behind, often naming a PID that now belongs to
    # another process (here: this test process).
    pid_file = cluster.data_dir / "postmaster.pid"
    pid_file.write_text(f"{os.getpid()}\n{cluster.data_dir}\n")
    assert not cluster.running()
    cluster.start()
    assert cluster.running()


def test_port_in_use_names_the_variable(cluster: Cluster) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as blocker:
        blocker.bind(("127.0.0.1", cluster.port))
        blocker.listen()
        with pytest.raises(TaprootError, match=rf"port {cluster.port} .*TAPROOT_PG_PORT"):
            cluster.start()
    assert not cluster.running()


def test_stop_when_not_running_is_a_no_op(cluster: Cluster) -> None:
    cluster.stop()
    assert cluster.pid() is None

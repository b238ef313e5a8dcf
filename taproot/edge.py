"""nginx in front of a local Taproot, from the shipped site file (tests and benchmarks).

`Edge.start(...)` renders ops/nginx/taproot.conf with exact substitutions (each must
match, so a drift of the file breaks its users instead of testing something else) — local
ports for both listeners and both upstreams, a self-signed certificate made with openssl,
temp paths — writes a main configuration standing in for Debian's nginx.conf, checks it
with `nginx -t` and runs nginx in the foreground until `stop()`.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from taproot import ROOT
from taproot.cluster import free_port

SITE = ROOT / "ops" / "nginx" / "taproot.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def render_site(text: str, replacements: dict[str, str]) -> str:
    """The shipped site with exact substitutions, each of which must occur."""
    for old, new in replacements.items():
        if old not in text:
            raise ValueError(f"{SITE.name} no longer contains {old!r}: update its users")
        text = text.replace(old, new)
    return text


def certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for localhost and 127.0.0.1 (cert, key)."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-keyout", str(key), "-out", str(cert), "-subj", "/CN=localhost"),
            *("-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@dataclass
class Edge:
    https: str
    http: str
    log_dir: Path
    cert: Path
    process: subprocess.Popen[bytes]

    @classmethod
    def start(
        cls, prefix: Path, *, gateway_port: int, sidecar_port: int, worker_connections: int = 1024
    ) -> Edge:
        logs = prefix / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        cert, key = certificate(prefix)
        https_port, http_port = free_port(), free_port()
        site = render_site(
            SITE.read_text(),
            {
                "listen 443 ssl http2;": f"listen 127.0.0.1:{https_port} ssl http2;",
                "listen [::]:443 ssl http2;": "",
                "listen 80;": f"listen 127.0.0.1:{http_port};",
                "listen [::]:80;": "",
                "server 127.0.0.1:3000 ": f"server 127.0.0.1:{gateway_port} ",
                "server 127.0.0.1:3001 ": f"server 127.0.0.1:{sidecar_port} ",
                "/etc/letsencrypt/live/api.example.com/fullchain.pem": str(cert),
                "/etc/letsencrypt/live/api.example.com/privkey.pem": str(key),
                "/var/log/nginx/": f"{logs}/",
                "/var/www/letsencrypt": str(prefix / "acme"),
            },
        )
        (prefix / "taproot.conf").write_text(site)
        temp = "".join(
            f"    {name}_temp_path {prefix / name};\n"
            for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        (prefix / "nginx.conf").write_text(
            f"worker_processes 1;\npid {prefix / 'nginx.pid'};\n"
            f"error_log {logs / 'error.log'} warn;\n"
            f"events {{ worker_connections {worker_connections}; }}\n"
            f"http {{\n{temp}    access_log {logs / 'access.log'};\n"
            f"    include {prefix / 'taproot.conf'};\n}}\n"
        )
        argv = [NGINX, "-p", str(prefix), "-c", str(prefix / "nginx.conf")]
        argv += ["-e", str(logs / "error.log")]
        checked = subprocess.run([*argv, "-t"], capture_output=True, text=True, check=False)
        if checked.returncode != 0:
            raise RuntimeError(f"nginx -t failed: {checked.stderr}")
        process = subprocess.Popen(
            [*argv, "-g", "daemon off;"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        return cls(
            f"https://127.0.0.1:{https_port}", f"http://127.0.0.1:{http_port}", logs, cert, process
        )

    def curl(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["curl", "-s", "--cacert", str(self.cert), "--http2", "--max-time", "20", *args],
            capture_output=True,
            text=True,
            check=False,
            timeout=30,
        )

    def wait_ready(self, path: str = "/api/health", timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while self.curl("-o", "/dev/null", "-f", f"{self.https}{path}").returncode != 0:
            if self.process.poll() is not None:
                raise RuntimeError((self.log_dir / "error.log").read_text())
            if time.monotonic() > deadline:
                raise RuntimeError(f"nginx did not answer {path} within {timeout:g} s")
            time.sleep(0.1)

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

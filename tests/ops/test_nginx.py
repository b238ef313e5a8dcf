"""Debian's nginx running the shipped site (ops/nginx/taproot.conf) in front of `taproot up`.

The site file is read from the repository and only its ports and paths are substituted
(taproot/edge.py: each substitution must match, so the test breaks if the file drifts);
nginx runs with a temp prefix, pid and logs, and a self-signed certificate. Over
HTTPS and HTTP/2: REST answers, an AI stream and a real-time stream arrive as they are
produced (nginx buffers neither), /metrics is not public, oversized bodies are refused.
"""

from __future__ import annotations

import itertools
import json
import ssl
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from taproot.edge import NGINX, Edge
from tests.ops.conftest import DEMO_WORKSPACE, Subscriber, UpStack

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def edge(up_stack: UpStack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Edge]:
    assert Path(NGINX).exists(), "nginx is missing: taproot.system_deps installs it for tests"
    prefix = tmp_path_factory.mktemp("nginx")
    prefix.chmod(0o755)
    result = Edge.start(
        prefix,
        gateway_port=int(up_stack.env["API_PORT"]),
        sidecar_port=int(up_stack.env["SIDECAR_PORT"]),
    )
    try:
        result.wait_ready()
        yield result
    finally:
        result.stop()


@pytest.fixture(scope="module")
def token(up_stack: UpStack) -> str:
    return up_stack.token()


def _h2_client(edge: Edge) -> httpx.Client:
    """HTTP/2 over TLS, trusting only the test's certificate."""
    trust = ssl.create_default_context(cafile=str(edge.cert))
    return httpx.Client(http2=True, verify=trust, timeout=httpx.Timeout(10, read=30))


def test_rest_over_https_and_http2(edge: Edge, token: str, tmp_path: Path) -> None:
    auth = f"Authorization: Bearer {token}"
    out = edge.curl(
        "-H", auth, "-w", "\n%{http_version} %{http_code}", f"{edge.https}/api/workspaces?select=id"
    )
    body, _, status = out.stdout.rpartition("\n")
    assert status == "2 200", out.stdout + out.stderr
    assert {"id": DEMO_WORKSPACE} in json.loads(body)

    created = edge.curl(
        "-H",
        auth,
        "-H",
        "Content-Type: application/json",
        "-H",
        "Prefer: return=representation",
        "-w",
        "\n%{http_code}",
        "-d",
        json.dumps({"workspace_id": DEMO_WORKSPACE, "title": "via nginx", "body": "b"}),
        f"{edge.https}/api/documents",
    )
    assert created.stdout.endswith("\n201"), created.stdout
    assert created.stdout.count("via nginx") == 1

    # the gateway's errors pass through in PostgREST's shape
    missing = edge.curl("-H", auth, "-w", "\n%{http_code}", f"{edge.https}/api/no_such_table")
    error, _, status = missing.stdout.rpartition("\n")
    assert status == "404", missing.stdout
    assert set(json.loads(error)) == {"code", "message", "details", "hint"}

    # plain HTTP only redirects; /metrics is never public
    redirect = edge.curl(
        "-o", "/dev/null", "-w", "%{http_code} %{redirect_url}", f"{edge.http}/api/health"
    )
    assert redirect.stdout.startswith("308 https://127.0.0.1/api/health"), redirect.stdout
    metrics = edge.curl("-o", "/dev/null", "-w", "%{http_code}", f"{edge.https}/metrics")
    assert metrics.stdout == "404"

    # bodies over the limit are refused at the edge (client_max_body_size 10m)
    big = tmp_path / "big.json"
    big.write_bytes(b"[" + b"0," * (5 * 1024 * 1024 + 16) + b"0]")
    refused = edge.curl(
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        "-H",
        auth,
        "-H",
        "Content-Type: application/json",
        "--data-binary",
        f"@{big}",
        f"{edge.https}/api/documents",
    )
    assert refused.stdout == "413", refused.stdout


def test_an_ai_stream_arrives_as_it_is_produced(edge: Edge, token: str) -> None:
    headers = {"Authorization": f"Bearer {token}", "X-Taproot-Workspace": DEMO_WORKSPACE}
    request = {
        "model": "demo-model",
        "stream": True,
        "fake_stream_interval_ms": 200,
        "messages": [{"role": "user", "content": "one two three four five six"}],
    }
    arrivals: list[float] = []
    with _h2_client(edge) as client:
        started = time.monotonic()
        with client.stream(
            "POST", f"{edge.https}/api/ai/v1/chat/completions", json=request, headers=headers
        ) as response:
            assert response.status_code == 200, response.read()
            assert response.http_version == "HTTP/2"
            assert response.headers["content-type"].startswith("text/event-stream")
            for line in response.iter_lines():
                if line.startswith("data: ") and line != "data: [DONE]":
                    arrivals.append(time.monotonic() - started)
        total = time.monotonic() - started
    assert len(arrivals) >= 5, arrivals
    # chunks come 200 ms apart: spread over the response, not all at its end
    gaps = [b - a for a, b in itertools.pairwise(arrivals)]
    assert arrivals[-1] - arrivals[0] >= 0.6, arrivals
    assert sum(1 for gap in gaps if gap >= 0.12) >= 3, gaps
    assert arrivals[0] < total - 0.5, (arrivals, total)


def _beats(sub: Subscriber) -> list[float]:
    return [at for at, text in sub.comments if text == "keep-alive"]


def test_a_realtime_event_arrives_within_a_second(edge: Edge, token: str) -> None:
    auth = {"Authorization": f"Bearer {token}"}
    sub = Subscriber(
        f"{edge.https}/api/realtime",
        {"topics": f"workspace:{DEMO_WORKSPACE}"},
        auth,
        client_factory=lambda: _h2_client(edge),
        reconnect=False,
    )
    try:
        sub.wait_connected()
        deadline = time.monotonic() + 10
        assert sub.http_version == "HTTP/2"
        # keep-alive comments (every second here) come one by one, not in a burst
        while len(beats := _beats(sub)) < 3:
            assert time.monotonic() < deadline + 5, sub.comments
            time.sleep(0.05)
        assert beats[2] - beats[0] >= 1.2, beats

        with _h2_client(edge) as client:
            response = client.post(
                f"{edge.https}/api/documents",
                json={"workspace_id": DEMO_WORKSPACE, "title": "live", "body": "b"},
                headers={**auth, "Prefer": "return=representation"},
            )
        committed = time.monotonic()
        assert response.status_code == 201, response.text
        document = response.json()[0]["id"]
        event = sub.wait(
            lambda events: next(
                (e for e in events if e.event == "documents.created" and document in e.data), None
            ),
            timeout=5,
        )
        assert event.received - committed < 1.0, event.received - committed
    finally:
        sub.close()

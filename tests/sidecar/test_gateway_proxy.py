"""Through a gateway with taproot-proxy, the SDKs reach the sidecar unchanged."""

from __future__ import annotations

import gzip
import http.server
import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any, ClassVar

import anthropic
import openai
import pytest
import requests

from gateway.app import create_app
from gateway.config import load
from taproot.cluster import free_port
from tests.sidecar.conftest import (
    Sidecar,
    Tenant,
    _authenticator_url,
    _libpq_url,
    cut_stream,
    recorded,
    sql,
)


class _Served:
    def __init__(self, app: Any) -> None:
        import uvicorn

        self.port = free_port()
        # as gateway/__main__.py serves it: X-Forwarded-For is the proxy's to extend
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=self.port,
            lifespan="on",
            log_level="warning",
            proxy_headers=False,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            assert self.thread.is_alive() and time.monotonic() < deadline
            time.sleep(0.02)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)


def _gateway(sidecar: Sidecar, upstream: str) -> Iterator[str]:
    config = load(
        {
            "PGRST_DB_URI": _libpq_url(_authenticator_url(sidecar.db)),
            "PGRST_DB_SCHEMAS": "api",
            "PGRST_DB_ANON_ROLE": "anon",
            "PGRST_JWT_SECRET": sidecar.secret,
            "PGRST_SERVER_ROOT_PATH": "/api",
            "TAPROOT_PROXY": f"/api/ai={upstream}",
        }
    )
    served = _Served(create_app(config))
    try:
        yield f"http://127.0.0.1:{served.port}"
    finally:
        served.stop()


@pytest.fixture(scope="module")
def gateway(sidecar: Sidecar) -> Iterator[str]:
    yield from _gateway(sidecar, sidecar.url.removesuffix("/api/ai"))


def test_openai_stream_through_the_gateway(gateway: str, tenant: Tenant) -> None:
    headers = {"X-Taproot-Workspace": str(tenant.workspace_id)}
    with openai.OpenAI(
        base_url=f"{gateway}/api/ai/v1",
        api_key=tenant.token,
        default_headers=headers,
        max_retries=0,
    ) as sdk:
        chunks = list(
            sdk.chat.completions.create(
                model="fake-chat",
                messages=[{"role": "user", "content": "via the gateway"}],
                stream=True,
                stream_options={"include_usage": True},
                extra_body={"fake_stream_interval_ms": 5},
            )
        )
        assert chunks[-1].usage is not None
        whole = sdk.chat.completions.create(
            model="fake-chat", messages=[{"role": "user", "content": "whole"}]
        )
        assert whole.choices[0].message.content


def test_anthropic_through_the_gateway(gateway: str, tenant: Tenant) -> None:
    headers = {"X-Taproot-Workspace": str(tenant.workspace_id)}
    with (
        anthropic.Anthropic(
            base_url=f"{gateway}/api/ai",
            auth_token=tenant.token,
            default_headers=headers,
            max_retries=0,
        ) as claude,
        claude.messages.stream(
            model="fake-chat", max_tokens=50, messages=[{"role": "user", "content": "hi"}]
        ) as stream,
    ):
        assert stream.get_final_message().content


def test_the_rest_of_the_api_is_untouched(gateway: str) -> None:
    with requests.Session() as http:
        assert http.get(f"{gateway}/api/health", timeout=5).status_code == 200


def test_upstream_down_answers_502_in_postgrest_shape(sidecar: Sidecar) -> None:
    for base in _gateway(sidecar, f"http://127.0.0.1:{free_port()}"):
        with requests.Session() as http:
            answer = http.get(f"{base}/api/ai/health", timeout=10)
        assert answer.status_code == 502
        assert set(answer.json()) == {"code", "message", "details", "hint"}


# -- the proxy itself, against a loopback upstream that records what reaches it ------------


class _Recorder(http.server.BaseHTTPRequestHandler):
    """Echoes what it received as JSON; /gzip answers raw gzip bytes; /slow streams."""

    protocol_version = "HTTP/1.1"
    seen: ClassVar[list[dict[str, Any]]] = []
    stream_cut = threading.Event()

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _answer(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        if self.headers.get("transfer-encoding") == "chunked":
            body = b""
            while (size := int(self.rfile.readline().strip(), 16)) > 0:
                body += self.rfile.read(size)
                self.rfile.readline()
            self.rfile.readline()
        else:
            body = self.rfile.read(length)
        self.seen.append(
            {
                "peer": self.client_address[1],
                "method": self.command,
                "path": self.path,
                "headers": [(k.lower(), v) for k, v in self.headers.items()],
                "body": body,
            }
        )
        if self.path.startswith("/api/ai/slow"):
            self.send_response(200)
            self.send_header("content-type", "text/event-stream")
            self.send_header("transfer-encoding", "chunked")
            self.end_headers()
            try:
                for n in range(200):
                    chunk = f"data: {n}\n\n".encode()
                    self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                    self.wfile.flush()
                    time.sleep(0.05)
            except OSError:
                type(self).stream_cut.set()
            return
        if self.path.startswith("/api/ai/gzip"):
            payload = gzip.compress(b"squeezed")
            self.send_response(200)
            self.send_header("content-encoding", "gzip")
        else:
            payload = json.dumps({"n": len(body)}).encode()
            self.send_response(418)
            self.send_header("x-upstream", "kept")
            self.send_header("set-cookie", "a=1")
            self.send_header("set-cookie", "b=2")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_DELETE = _answer


@pytest.fixture(scope="module")
def recorder() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def recorded_gateway(sidecar: Sidecar, recorder: str) -> Iterator[str]:
    yield from _gateway(sidecar, recorder)


def test_proxy_passes_method_path_query_headers_and_answer(recorded_gateway: str) -> None:
    _Recorder.seen.clear()
    with requests.Session() as http_:
        answer = http_.put(
            f"{recorded_gateway}/api/ai/echo/x?q=1&q=2&s=%20a",
            data=b"hello",
            headers={"User-Agent": "client/1.0", "X-Forwarded-For": "203.0.113.9"},
            timeout=10,
        )
    assert answer.status_code == 418
    assert answer.json() == {"n": 5}
    assert answer.headers["x-upstream"] == "kept"
    assert answer.raw.headers.getlist("set-cookie") == ["a=1", "b=2"]
    (seen,) = _Recorder.seen
    assert (seen["method"], seen["path"], seen["body"]) == (
        "PUT",
        "/api/ai/echo/x?q=1&q=2&s=%20a",
        b"hello",
    )
    headers = dict(seen["headers"])
    assert headers["user-agent"] == "client/1.0"  # the client's, not the proxy's
    assert headers["x-forwarded-for"] == "203.0.113.9, 127.0.0.1"
    assert headers["x-forwarded-proto"] == "http"
    assert headers["x-forwarded-host"] == recorded_gateway.removeprefix("http://")
    assert headers["content-length"] == "5"


def test_proxy_reuses_its_upstream_connection(recorded_gateway: str) -> None:
    _Recorder.seen.clear()
    with requests.Session() as http_:
        for _ in range(3):
            assert http_.get(f"{recorded_gateway}/api/ai/echo", timeout=10).status_code == 418
    assert len({seen["peer"] for seen in _Recorder.seen}) == 1  # one keep-alive connection


def test_proxy_streams_a_large_body_and_passes_encoded_bytes_raw(recorded_gateway: str) -> None:
    _Recorder.seen.clear()
    big = bytes(range(256)) * (5 * 1024)  # 1.25 MiB: over the buffered limit, sent chunked

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(big), 65536):
            yield big[start : start + 65536]

    with requests.Session() as http_:
        answer = http_.post(f"{recorded_gateway}/api/ai/echo", data=chunks(), timeout=20)
        assert answer.json() == {"n": len(big)}
        assert _Recorder.seen[-1]["body"] == big
        squeezed = http_.get(
            f"{recorded_gateway}/api/ai/gzip", headers={"Accept-Encoding": "gzip"}, stream=True
        )
        assert squeezed.headers["content-encoding"] == "gzip"
        assert gzip.decompress(squeezed.raw.read(decode_content=False)) == b"squeezed"


def test_a_client_that_goes_away_closes_the_upstream_stream(recorded_gateway: str) -> None:
    _Recorder.stream_cut.clear()
    host, port = recorded_gateway.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as conn:
        conn.sendall(f"GET /api/ai/slow HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
        received = b""
        while received.count(b"data: ") < 3:
            received += conn.recv(4096)
    # the upstream's next writes fail once the proxy has closed its side (200 chunks would
    # take 10 s to the end)
    assert _Recorder.stream_cut.wait(5), "the upstream kept streaming to nobody"


def test_a_stream_cut_through_the_gateway_is_billed_partial(
    gateway: str, sidecar: Sidecar, tenant: Tenant
) -> None:
    cut_stream(gateway, tenant)
    recorded(sidecar, tenant.workspace_id, 1)
    ((status, estimated, output),) = sql(
        sidecar,
        "SELECT status, estimated, output_tokens FROM api.ai_usage WHERE workspace_id = %s",
        tenant.workspace_id,
    )
    assert (status, estimated) == ("partial", True)
    assert 0 < output < 400

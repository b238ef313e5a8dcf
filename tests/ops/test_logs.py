"""Structured logs: JSON lines that carry one request id from end to end.

A run_prompt through the gateway: the gateway's line (request id, traceparent, user id,
route, status, duration), the database (the job the request deferred keeps the id), the
worker's lines of that job; an AI call through the gateway's proxy: the sidecar's line
with the same id. Every line each process wrote parses as JSON.
"""

from __future__ import annotations

import io
import json
import logging
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
import requests

from taproot import logs
from taproot.database import Database
from tests.ops.processes import JWT_AUD, Procs, json_lines, jwt_secret
from tests.stack import make_prompt, make_tenant, rows, wait_for, wait_status


@pytest.fixture
def procs(tmp_path: Path) -> Iterator[Procs]:
    started = Procs(tmp_path)
    try:
        yield started
    finally:
        started.stop_all()


def _traceparent() -> str:
    return f"00-{uuid.uuid4().hex}-{uuid.uuid4().hex[:16]}-01"


def _lines_with(lines: list[dict[str, Any]], request_id: str) -> list[dict[str, Any]]:
    return [line for line in lines if line.get("request_id") == request_id]


def _request_line(lines: list[dict[str, Any]], request_id: str, logger: str) -> Any:
    return next((x for x in _lines_with(lines, request_id) if x["logger"] == logger), None)


def test_one_request_id_from_gateway_to_database_job_and_sidecar(
    app_db: Database, procs: Procs
) -> None:
    sidecar, _, sidecar_port = procs.sidecar(app_db)
    worker = procs.worker(app_db)
    gateway, url = procs.gateway(app_db, sidecar_port=sidecar_port)
    tenant = make_tenant(app_db)
    prompt = make_prompt(app_db, tenant)
    claims = {"role": "authenticated", "sub": str(tenant.user_id), "aud": JWT_AUD}
    token = jwt.encode({**claims, "exp": int(time.time()) + 600}, jwt_secret(app_db), "HS256")

    # gateway → database → job
    rid, trace = f"e2e-{uuid.uuid4().hex}", _traceparent()
    answer = requests.post(
        url + "/rpc/run_prompt",
        json={"prompt_id": str(prompt), "inputs": {"name": "logs"}},
        headers={"Authorization": f"Bearer {token}", "X-Request-Id": rid, "traceparent": trace},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["x-request-id"] == rid
    request_id = str(answer.json()["id"])
    wait_status(app_db, request_id, "succeeded")
    kept = rows(
        app_db,
        "SELECT j.http_request_id FROM api.ai_requests r"
        " JOIN app.job_requests j ON j.job_id = r.job_id WHERE r.id = %s",
        request_id,
    )
    assert kept == [{"http_request_id": rid}]

    line = wait_for(
        lambda: _request_line(json_lines(gateway), rid, "gateway.request"),
        timeout=5,
        what="the gateway's request line",
    )
    assert line["route"] == "/api/rpc/run_prompt" and line["status"] == 200, line
    assert line["traceparent"] == trace and line["user_id"] == str(tenant.user_id), line
    assert line["level"] == "info" and isinstance(line["duration_ms"], float), line
    assert line["time"].endswith("Z") and line["method"] == "POST", line

    job_lines = wait_for(
        lambda: _lines_with(json_lines(worker), rid), timeout=10, what="the job's log lines"
    )
    assert any("ai.run_request" in x["message"] for x in job_lines), job_lines

    # gateway → sidecar (its proxy passes the id on; the answer echoes it once)
    rid_ai = f"e2e-ai-{uuid.uuid4().hex}"
    answer = requests.post(
        url + "/ai/v1/chat/completions",
        json={"model": "fake-chat", "messages": [{"role": "user", "content": "hi"}]},
        headers={
            "Authorization": f"Bearer {token}",
            "X-Taproot-Workspace": str(tenant.workspace_id),
            "X-Request-Id": rid_ai,
            "traceparent": trace,
        },
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["x-request-id"] == rid_ai
    line = wait_for(
        lambda: _request_line(json_lines(sidecar), rid_ai, "sidecar.request"),
        timeout=5,
        what="the sidecar's request line",
    )
    assert line["route"] == "/api/ai/v1/chat/completions" and line["status"] == 200, line
    assert line["traceparent"] == trace and line["user_id"] == str(tenant.user_id), line
    assert _lines_with(json_lines(gateway), rid_ai), "the gateway logged the proxied request"

    # no X-Request-Id: one is made up, and echoed
    made = requests.get(url + "/live", timeout=5).headers["x-request-id"]
    assert uuid.UUID(made)
    for proc in (gateway, sidecar, worker):
        assert json_lines(proc), proc.name  # every line parses


def test_formats_and_ids() -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert logs.log_format({}, Tty()) == "text"
    assert logs.log_format({}, io.StringIO()) == "json"
    assert logs.log_format({"TAPROOT_LOG_FORMAT": "json"}, Tty()) == "json"
    with pytest.raises(ValueError, match="TAPROOT_LOG_FORMAT"):
        logs.log_format({"TAPROOT_LOG_FORMAT": "xml"})
    assert logs.accept_request_id("abc-123") == "abc-123"
    assert logs.accept_request_id('bad "id"') != 'bad "id"'
    assert logs.accept_request_id("x" * 129) != "x" * 129
    assert logs.accept_traceparent("nonsense") is None

    out = io.StringIO()
    logs.configure(logging.INFO, fmt="json", stream=out)
    try:
        log = logging.getLogger("tests.logs")
        token = logs.bind(logs.RequestContext("rid-1", None, '{"sub": "user-1"}'))
        try:
            log.info("hello %s", "there", extra={"route": "/x"})
            assert logs.outgoing_headers() == {"X-Request-Id": "rid-1"}
        finally:
            logs.reset(token)
        log.warning("outside")
        first, second = (json.loads(x) for x in out.getvalue().splitlines())
        assert first["message"] == "hello there" and first["request_id"] == "rid-1"
        assert first["user_id"] == "user-1" and first["route"] == "/x"
        assert "request_id" not in second and second["level"] == "warning"
        logs.configure(logging.INFO, fmt="text", stream=out)
        token = logs.bind(logs.RequestContext("rid-2"))
        try:
            log.info("as text")
        finally:
            logs.reset(token)
        assert out.getvalue().splitlines()[-1].endswith("tests.logs: as text [request rid-2]")
    finally:
        logs.configure(logging.WARNING, fmt="text")


async def test_provider_calls_carry_the_request() -> None:
    """A provider call made while serving a request sends its id and traceparent upstream
    (to a real loopback HTTP server that records what it got)."""
    import http.server
    import threading

    from ai.providers._http import HttpSettings, make_client

    seen: list[dict[str, str]] = []

    class Upstream(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append({k.lower(): v for k, v in self.headers.items()})
            self.send_response(200)
            self.send_header("content-length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Upstream)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    client = make_client(f"http://127.0.0.1:{server.server_address[1]}/v1", {}, HttpSettings())
    token = logs.bind(logs.RequestContext("rid-provider", _traceparent()))
    try:
        await client.get("models")
    finally:
        logs.reset(token)
        await client.aclose()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
    assert seen[0]["x-request-id"] == "rid-provider"
    assert seen[0]["traceparent"].startswith("00-")

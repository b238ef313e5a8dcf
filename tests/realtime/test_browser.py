"""A real browser's EventSource: headless Chromium receives events, also after a reconnect.

The page is served by this test (another origin than the gateway, so CORS is exercised)
and reports every event it hears back to the test with fetch(); Chromium runs as a plain
subprocess (no DevTools protocol), killed at the end.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from taproot.cluster import free_port
from tests.realtime.conftest import ServerThread, Stack
from tests.realtime.test_stream import new_document
from tests.stack import wait_for

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

PAGE = """<!doctype html><html><body><pre id="log"></pre><script>
const report = (kind, e) => fetch('/log', {method: 'POST', body: JSON.stringify(
  {kind, type: e.type, id: e.lastEventId || null, data: e.data || null})});
const es = new EventSource(%(url)s);
es.onopen = (e) => report('open', e);
es.onerror = (e) => report('error', e);
es.addEventListener('documents.created', (e) => report('event', e));
es.addEventListener('realtime.closed', (e) => report('closed', e));
</script></body></html>"""


class Page:
    def __init__(self, url: str) -> None:
        self.reports: list[dict[str, Any]] = []
        page = (PAGE % {"url": json.dumps(url)}).encode()
        reports = self.reports

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("content-type", "text/html")
                self.send_header("content-length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                reports.append(json.loads(body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *_args: Any) -> None:
                pass

        self.port = free_port()
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def events(self) -> list[dict[str, Any]]:
        return [r for r in self.reports if r["kind"] == "event"]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


@pytest.fixture
def chromium() -> Iterator[Any]:
    if CHROMIUM is None:
        pytest.fail("chromium is not installed (apt-get install chromium; taproot.system_deps)")
    procs: list[subprocess.Popen[bytes]] = []
    profile = tempfile.mkdtemp(prefix="taproot-chromium-")

    def launch(url: str) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(
            [
                str(CHROMIUM),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--no-first-run",
                "--disable-extensions",
                f"--user-data-dir={profile}",
                "--remote-debugging-port=0",
                url,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        procs.append(proc)
        return proc

    yield launch
    for proc in procs:
        proc.kill()
        proc.wait(timeout=10)
    shutil.rmtree(profile, ignore_errors=True)


def test_eventsource_in_chromium_receives_events_and_resumes(stack: Stack, chromium: Any) -> None:
    gw = stack.start()
    tenant = stack.tenant()
    token = stack.token(tenant.user_id)
    stream_url = (
        f"{gw.url}/api/realtime?topics=workspace:{tenant.workspace_id}&access_token={token}"
    )
    page = Page(stream_url)
    try:
        chromium(f"http://127.0.0.1:{page.port}/")
        wait_for(lambda: any(r["kind"] == "open" for r in page.reports), timeout=30, what="open")
        first = new_document(gw.url, token, tenant.workspace_id, "first")
        wait_for(lambda: len(page.events()) >= 1, timeout=15, what="first event")
        # forced reconnect: the gateway restarts on the same port; meanwhile a change
        gw.stop()
        wait_for(lambda: any(r["kind"] == "closed" for r in page.reports), timeout=15)
        with stack.db.connect() as conn:
            conn.execute(
                "INSERT INTO api.documents (workspace_id, title) VALUES (%s, 'while down')",
                (tenant.workspace_id,),
            )
        again = ServerThread(stack.settings, port=gw.port).start()
        stack.servers.append(again)
        wait_for(
            lambda: len([r for r in page.reports if r["kind"] == "open"]) >= 2,
            timeout=30,
            what="reconnect",
        )
        live = new_document(again.url, token, tenant.workspace_id, "after")
        wait_for(lambda: len(page.events()) >= 3, timeout=15, what="events after reconnect")
        got = [json.loads(r["data"]) for r in page.events()]
        assert [g["payload"]["title"] for g in got] == ["first", "while down", "after"]
        assert got[0]["entity_id"] == first and got[2]["entity_id"] == live
        assert [int(r["id"]) for r in page.events()] == [g["id"] for g in got]
    finally:
        page.close()

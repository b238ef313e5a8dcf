"""Through a gateway with taproot-proxy, the SDKs reach the sidecar unchanged."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import anthropic
import openai
import pytest
import requests

from gateway.app import create_app
from gateway.config import load
from taproot.cluster import free_port
from tests.sidecar.conftest import Sidecar, Tenant, _authenticator_url, _libpq_url


class _Served:
    def __init__(self, app: Any) -> None:
        import uvicorn

        self.port = free_port()
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, lifespan="on", log_level="warning"
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

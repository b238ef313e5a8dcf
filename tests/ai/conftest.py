"""Fixtures of the provider package tests: a loopback upstream and providers pointed at it."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator

import pytest
import uvicorn

from ai.providers import AnthropicProvider, HttpSettings, OpenAIProvider
from tests.ai.upstream import Upstream, make_app

# Short timeouts so "slow" and "stall" scripts fail fast (they hang for upstream.SLEEP);
# the stall limit is the shorter, so a stalled stream is caught by it, not by the read timeout.
FAST = HttpSettings(connect=1.0, read=0.6, write=1.0, pool=1.0, stream_stall=0.2)


@pytest.fixture(scope="session")
def upstream() -> Iterator[Upstream]:
    """The scripted upstream, served by uvicorn in a thread on a free loopback port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))  # port 0: the OS picks a free one, no race
    host, port = sock.getsockname()
    state = Upstream(url=f"http://{host}:{port}")
    config = uvicorn.Config(
        make_app(state),
        lifespan="off",
        log_level="warning",
        access_log=False,
        ws="none",
        http="h11",
        timeout_graceful_shutdown=3,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "upstream did not start"
        time.sleep(0.01)
    yield state
    server.should_exit = True
    thread.join(10)
    sock.close()


@pytest.fixture
async def openai(upstream: Upstream) -> AsyncIterator[OpenAIProvider]:
    provider = OpenAIProvider(api_key="sk-test-secret", base_url=upstream.openai_url, settings=FAST)
    yield provider
    await provider.aclose()


@pytest.fixture
async def anthropic(upstream: Upstream) -> AsyncIterator[AnthropicProvider]:
    provider = AnthropicProvider(
        api_key="sk-ant-secret", base_url=upstream.anthropic_url, settings=FAST
    )
    yield provider
    await provider.aclose()

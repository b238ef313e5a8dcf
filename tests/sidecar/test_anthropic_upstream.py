"""An Anthropic upstream that fails mid-stream: the client gets Anthropic's `error` event.

The sidecar's ANTHROPIC_BASE_URL and ANTHROPIC_API_KEY point at the loopback server; a
workspace route (credential "anthropic") sends a model name to its "error" script, which
sends message_start and one text delta, then an `error` event (overloaded_error).
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import anthropic
import pytest
import requests

from taproot.database import Database
from tests.sidecar.conftest import Sidecar, Tenant, make_tenant, sql
from tests.sidecar.upstream_fixtures import (
    ANTHROPIC_KEY,
    Loopback,
    serve_loopback,
    settled_rows,
    upstream_sidecar,
)

MESSAGES_PATH = "/anthropic/v1/messages"
REQUEST = {"max_tokens": 100, "messages": [{"role": "user", "content": "Tell me"}]}


@pytest.fixture(scope="module")
def loopback() -> Iterator[Loopback]:
    with serve_loopback() as served:
        yield served


@pytest.fixture(scope="module")
def upstream(sidecar_db: Database, loopback: Loopback) -> Iterator[Sidecar]:
    # In-band overloaded errors count as outages: keep the breaker out of these tests.
    with upstream_sidecar(sidecar_db, loopback, TAPROOT_AI_BREAKER_FAIL_MAX="1000") as started:
        yield started


@pytest.fixture
def owner(upstream: Sidecar) -> Tenant:
    tenant = make_tenant(upstream)
    sql(
        upstream,
        "INSERT INTO api.ai_routes (workspace_id, model, position, credential, upstream_model)"
        " VALUES (%s, 'claude-house', 1, 'anthropic', 'error'),"
        " (%s, 'claude-ok', 1, 'anthropic', 'ok')",
        tenant.workspace_id,
        tenant.workspace_id,
    )
    return tenant


def events(response: requests.Response) -> list[tuple[str, dict[str, object]]]:
    """(event name, data) of each server-sent event of `response`."""
    found, name = [], ""
    for line in response.iter_lines(decode_unicode=True):
        if line.startswith("event: "):
            name = line.removeprefix("event: ")
        elif line.startswith("data: "):
            found.append((name, json.loads(line.removeprefix("data: "))))
    return found


def stream(sidecar: Sidecar, tenant: Tenant, model: str) -> list[tuple[str, dict[str, object]]]:
    with (
        requests.Session() as http,
        http.post(
            f"{sidecar.url}/v1/messages",
            json={"model": model, "stream": True, **REQUEST},
            headers=tenant.headers,
            stream=True,
            timeout=30,
        ) as response,
    ):
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("text/event-stream")
        return events(response)


def test_upstream_error_event_reaches_the_client_in_band(
    upstream: Sidecar, owner: Tenant, loopback: Loopback
) -> None:
    before = len(loopback.received(MESSAGES_PATH))
    received = stream(upstream, owner, "claude-house")
    names = [name for name, _ in received]
    assert names[0] == "message_start"
    deltas = [data for name, data in received if name == "content_block_delta"]
    assert [d["delta"] for d in deltas] == [{"type": "text_delta", "text": "Hello"}]
    assert names[-1] == "error" and "message_stop" not in names
    error = received[-1][1]
    assert error["type"] == "error"
    assert isinstance(error["error"], dict)
    assert error["error"]["type"] == "overloaded_error"  # the upstream's kind, passed on
    assert "busy" in error["error"]["message"]  # and its message
    (seen,) = loopback.received(MESSAGES_PATH)[before:]
    assert seen.headers["x-api-key"] == ANTHROPIC_KEY
    assert seen.body["model"] == "error" and seen.body["stream"] is True
    rows = settled_rows(
        upstream,
        "SELECT endpoint, provider, model, upstream_model, status, output_tokens > 0"
        " FROM api.ai_usage WHERE workspace_id = %s",
        owner.workspace_id,
    )
    assert rows == [("messages", "anthropic", "claude-house", "error", "partial", True)]


def test_the_sdk_raises_the_in_band_error(upstream: Sidecar, owner: Tenant) -> None:
    with (
        anthropic.Anthropic(
            base_url=upstream.url,
            auth_token=owner.token,
            default_headers={"X-Taproot-Workspace": str(owner.workspace_id)},
            max_retries=0,
        ) as sdk,
        pytest.raises(anthropic.APIStatusError) as failed,
        sdk.messages.stream(model="claude-house", **REQUEST) as messages,  # type: ignore[arg-type]
    ):
        for _ in messages:
            pass
    body = failed.value.body
    assert isinstance(body, dict) and body["type"] == "error"
    assert body["error"]["type"] == "overloaded_error"


def test_a_complete_stream_from_the_same_upstream_is_ok(upstream: Sidecar, owner: Tenant) -> None:
    names = [name for name, _ in stream(upstream, owner, "claude-ok")]
    assert names[0] == "message_start" and names[-1] == "message_stop"
    rows = settled_rows(
        upstream,
        "SELECT status, input_tokens, cached_input_tokens, output_tokens"
        " FROM api.ai_usage WHERE workspace_id = %s",
        owner.workspace_id,
    )
    assert rows == [("ok", 17, 5, 3)]  # 10 fresh + 5 cache reads + 2 cache writes

"""Setting OpenAI-compatible variables switches the sidecar to a real endpoint, no code changes.

The sidecars here have OPENAI_BASE_URL and OPENAI_API_KEY pointing at a loopback server
speaking OpenAI's protocol (and no TAPROOT_AI_DEFAULT_PROVIDER), so a model name without a
route goes to it; the official openai SDK calls the sidecar. Retries, Retry-After and the
circuit breaker are driven by outages the loopback server plays and recovers from.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import openai
import pytest
import requests
from openai.types.chat import ChatCompletion, ChatCompletionMessageParam

from taproot.database import Database
from tests.sidecar.conftest import Sidecar, Tenant, make_tenant, recorded, sql
from tests.sidecar.upstream_fixtures import (
    OPENAI_KEY,
    Loopback,
    serve_loopback,
    settled_rows,
    upstream_sidecar,
)

USER: list[ChatCompletionMessageParam] = [{"role": "user", "content": "Say hello"}]
# What the loopback's "ok" script reports (tests/ai/upstream.py OPENAI_USAGE)
EXACT = (11, 3, 4, 2)  # input, output, cached input, reasoning
BREAKER_RESET = 2.0  # seconds; short, with room for a loaded machine inside the window
USAGE_COLUMNS = (
    "SELECT endpoint, provider, model, upstream_model, input_tokens, output_tokens,"
    " cached_input_tokens, reasoning_tokens, status, estimated"
    " FROM api.ai_usage WHERE workspace_id = %s ORDER BY id"
)


@pytest.fixture(scope="module")
def loopback() -> Iterator[Loopback]:
    with serve_loopback() as served:
        yield served


@pytest.fixture(autouse=True)
def healthy(loopback: Loopback) -> Iterator[None]:
    yield
    loopback.heal()


@pytest.fixture(scope="module")
def upstream(sidecar_db: Database, loopback: Loopback) -> Iterator[Sidecar]:
    # A breaker that will not open during these tests: the 429 tests count as outages.
    with upstream_sidecar(sidecar_db, loopback, TAPROOT_AI_BREAKER_FAIL_MAX="1000") as started:
        yield started


@pytest.fixture
def owner(upstream: Sidecar) -> Tenant:
    return make_tenant(upstream)


def client(sidecar: Sidecar, tenant: Tenant) -> openai.OpenAI:
    return openai.OpenAI(
        base_url=f"{sidecar.url}/v1",
        api_key=tenant.token,
        default_headers={"X-Taproot-Workspace": str(tenant.workspace_id)},
        max_retries=0,
    )


@pytest.fixture
def sdk(upstream: Sidecar, owner: Tenant) -> Iterator[openai.OpenAI]:
    with client(upstream, owner) as opened:
        yield opened


def usage_rows(sidecar: Sidecar, tenant: Tenant, calls: int = 1) -> list[tuple[object, ...]]:
    recorded(sidecar, tenant.workspace_id, calls)
    return sql(sidecar, USAGE_COLUMNS, tenant.workspace_id)


def streamed_usage_rows(sidecar: Sidecar, tenant: Tenant) -> list[tuple[object, ...]]:
    return settled_rows(sidecar, USAGE_COLUMNS, tenant.workspace_id)


def test_whole_chat_reaches_the_configured_endpoint(
    upstream: Sidecar, owner: Tenant, sdk: openai.OpenAI, loopback: Loopback
) -> None:
    before = loopback.count()
    raw = sdk.chat.completions.with_raw_response.create(model="ok", messages=USER)
    answer = raw.parse()
    assert answer.choices[0].message.content == "Hello world"  # the loopback's, not "[fake]"
    assert raw.headers["x-taproot-provider"] == "openai"
    assert answer.usage is not None
    assert (answer.usage.prompt_tokens, answer.usage.completion_tokens) == EXACT[:2]
    assert answer.usage.prompt_tokens_details is not None
    assert answer.usage.prompt_tokens_details.cached_tokens == EXACT[2]
    seen = loopback.received()[before:]
    assert len(seen) == 1
    assert seen[0].headers["authorization"] == f"Bearer {OPENAI_KEY}"
    assert seen[0].body["model"] == "ok" and seen[0].body["messages"] == USER
    assert usage_rows(upstream, owner) == [
        ("chat", "openai", "ok", "ok", *EXACT, "ok", False),
    ]


def test_stream_with_usage_gets_the_upstreams_counts(
    upstream: Sidecar, owner: Tenant, sdk: openai.OpenAI, loopback: Loopback
) -> None:
    before = loopback.count()
    chunks = list(
        sdk.chat.completions.create(
            model="ok",
            messages=USER,
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "Hello world"
    last = chunks[-1]
    assert last.choices == [] and last.usage is not None
    assert (last.usage.prompt_tokens, last.usage.completion_tokens) == EXACT[:2]
    assert last.usage.prompt_tokens_details is not None
    assert last.usage.prompt_tokens_details.cached_tokens == EXACT[2]
    (seen,) = loopback.received()[before:]
    assert seen.headers["authorization"] == f"Bearer {OPENAI_KEY}"
    assert seen.body["stream"] is True
    assert seen.body["stream_options"] == {"include_usage": True}
    assert streamed_usage_rows(upstream, owner) == [
        ("chat", "openai", "ok", "ok", *EXACT, "ok", False),
    ]


def test_stream_without_usage_still_asks_upstream_for_it(
    upstream: Sidecar, owner: Tenant, sdk: openai.OpenAI, loopback: Loopback
) -> None:
    before = loopback.count()
    chunks = list(sdk.chat.completions.create(model="ok", messages=USER, stream=True))
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == "Hello world"
    assert all(c.choices and c.usage is None for c in chunks)  # no usage chunk for the client
    (seen,) = loopback.received()[before:]
    assert seen.body["stream_options"] == {"include_usage": True}  # but the sidecar asked
    assert streamed_usage_rows(upstream, owner) == [
        ("chat", "openai", "ok", "ok", *EXACT, "ok", False),
    ]


def test_route_maps_a_workspace_model_to_an_upstream_model(
    upstream: Sidecar, owner: Tenant, sdk: openai.OpenAI, loopback: Loopback
) -> None:
    sql(
        upstream,
        "INSERT INTO api.ai_routes (workspace_id, model, position, credential, upstream_model)"
        " VALUES (%s, 'house-model', 1, 'openai', 'gpt-x')",
        owner.workspace_id,
    )
    before = loopback.count()
    raw = sdk.chat.completions.with_raw_response.create(model="house-model", messages=USER)
    assert raw.parse().choices[0].message.content == "Hello world"
    assert raw.headers["x-taproot-upstream-model"] == "gpt-x"
    (seen,) = loopback.received()[before:]
    assert seen.body["model"] == "gpt-x"
    assert usage_rows(upstream, owner) == [
        ("chat", "openai", "house-model", "gpt-x", *EXACT, "ok", False),
    ]


def test_short_retry_after_is_waited_for_and_retried(
    upstream: Sidecar, owner: Tenant, sdk: openai.OpenAI, loopback: Loopback
) -> None:
    loopback.fail(429, times=1, headers={"retry-after": "1"})
    before = loopback.count()
    started = time.monotonic()
    answer = sdk.chat.completions.create(model="ok", messages=USER)
    assert answer.choices[0].message.content == "Hello world"
    assert time.monotonic() - started >= 1.0  # the upstream's Retry-After was honoured
    assert loopback.count() - before == 2
    assert [row[-2] for row in usage_rows(upstream, owner)] == ["ok"]


def test_rate_limit_surfaces_with_retry_after_when_retries_run_out(
    upstream: Sidecar, owner: Tenant, sdk: openai.OpenAI, loopback: Loopback
) -> None:
    loopback.fail(429, headers={"retry-after": "1"})
    before = loopback.count()
    with pytest.raises(openai.RateLimitError) as limited:
        sdk.chat.completions.create(model="ok", messages=USER)
    assert limited.value.response.headers["retry-after"] == "1"
    assert loopback.count() - before == 2  # TAPROOT_AI_RETRY_ATTEMPTS (2) tries
    assert usage_rows(upstream, owner, calls=0) == []  # nothing answered, nothing billed


def test_long_retry_after_is_not_waited_for(
    upstream: Sidecar, owner: Tenant, sdk: openai.OpenAI, loopback: Loopback
) -> None:
    loopback.fail(429, headers={"retry-after": "120"})
    before = loopback.count()
    started = time.monotonic()
    with pytest.raises(openai.RateLimitError) as limited:
        sdk.chat.completions.create(model="ok", messages=USER)
    assert time.monotonic() - started < 5
    assert limited.value.response.headers["retry-after"] == "120"
    assert loopback.count() - before == 1  # longer than the sidecar may wait: no retry


def providers(sidecar: Sidecar, tenant: Tenant) -> dict[str, object]:
    with requests.Session() as http:
        response = http.get(f"{sidecar.url}/providers", headers=tenant.headers, timeout=10)
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def test_breaker_opens_on_outage_and_closes_when_upstream_recovers(
    sidecar_db: Database, loopback: Loopback
) -> None:
    fail_max = 3
    with upstream_sidecar(
        sidecar_db,
        loopback,
        TAPROOT_AI_BREAKER_FAIL_MAX=str(fail_max),
        TAPROOT_AI_BREAKER_RESET_SECONDS=str(BREAKER_RESET),
        TAPROOT_AI_RETRY_ATTEMPTS="1",
    ) as sidecar:
        owner = make_tenant(sidecar)
        with client(sidecar, owner) as sdk:

            def call() -> ChatCompletion:
                return sdk.chat.completions.create(model="ok", messages=USER)

            assert call().choices[0].message.content == "Hello world"
            loopback.fail(500)
            before = loopback.count()
            for _ in range(fail_max):
                with pytest.raises(openai.InternalServerError) as outage:
                    call()
                assert outage.value.status_code == 502
            assert loopback.count() - before == fail_max
            # Open: refused at once without reaching the upstream
            started = time.monotonic()
            for _ in range(3):
                with pytest.raises(openai.APIStatusError) as refused:
                    call()
                assert refused.value.status_code == 529
                assert "circuit open" in refused.value.message
                assert int(refused.value.response.headers["retry-after"]) >= 1
            assert time.monotonic() - started < BREAKER_RESET
            assert loopback.count() - before == fail_max
            assert providers(sidecar, owner)["breakers"] == {"openai": "open"}
            # Half-open while still failing: one trial reaches it, fails, and reopens
            time.sleep(BREAKER_RESET + 0.2)
            with pytest.raises(openai.InternalServerError):
                call()
            assert loopback.count() - before == fail_max + 1
            with pytest.raises(openai.APIStatusError) as again:
                call()
            assert again.value.status_code == 529
            assert loopback.count() - before == fail_max + 1
            # Recovered: the next trial succeeds and closes the breaker
            loopback.heal()
            time.sleep(BREAKER_RESET + 0.2)
            assert call().choices[0].message.content == "Hello world"
            assert loopback.count() - before == fail_max + 2
            assert providers(sidecar, owner)["breakers"] == {"openai": "closed"}
            assert call().choices[0].message.content == "Hello world"
            assert loopback.count() - before == fail_max + 3
        recorded(sidecar, owner.workspace_id, 3)
        statuses = sql(
            sidecar,
            "SELECT status, provider FROM api.ai_usage WHERE workspace_id = %s",
            owner.workspace_id,
        )
        assert statuses == [("ok", "openai")] * 3  # only answered calls are billed

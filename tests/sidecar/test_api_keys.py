"""Workspace API keys: created with api.create_api_key, accepted until revoked."""

from __future__ import annotations

import json
import uuid

import anthropic
import openai
import pytest
import requests

from tests.sidecar.conftest import Sidecar, Tenant, make_tenant, recorded, sql


def create_key(sidecar: Sidecar, tenant: Tenant, **limits: int) -> tuple[str, uuid.UUID]:
    with sidecar.db.connect() as conn, conn.transaction():
        conn.execute("SET LOCAL ROLE authenticated")
        conn.execute(
            "SELECT set_config('request.jwt.claims', %s, true)",
            (json.dumps({"role": "authenticated", "sub": str(tenant.user_id)}),),
        )
        row = conn.execute(
            "SELECT api.create_api_key(%s, 'test key', %s, %s, %s)::text",
            (
                tenant.workspace_id,
                limits.get("token_budget"),
                limits.get("requests_per_minute"),
                limits.get("tokens_per_minute"),
            ),
        ).fetchone()
    assert row is not None
    created = json.loads(str(row[0]))
    return str(created["key"]), uuid.UUID(str(created["id"]))


def revoke_key(sidecar: Sidecar, tenant: Tenant, key_id: uuid.UUID) -> None:
    with sidecar.db.connect() as conn, conn.transaction():
        conn.execute("SET LOCAL ROLE authenticated")
        conn.execute(
            "SELECT set_config('request.jwt.claims', %s, true)",
            (json.dumps({"role": "authenticated", "sub": str(tenant.user_id)}),),
        )
        conn.execute("SELECT api.revoke_api_key(%s)", (key_id,))


def test_key_works_with_both_sdks_until_revoked(sidecar: Sidecar, tenant: Tenant) -> None:
    key, key_id = create_key(sidecar, tenant)
    sdk = openai.OpenAI(base_url=f"{sidecar.url}/v1", api_key=key, max_retries=0)
    claude = anthropic.Anthropic(base_url=sidecar.url, api_key=key, max_retries=0)
    with sdk, claude:
        _key_lifecycle(sidecar, tenant, sdk, claude, key_id)


def _key_lifecycle(
    sidecar: Sidecar,
    tenant: Tenant,
    sdk: openai.OpenAI,
    claude: anthropic.Anthropic,
    key_id: uuid.UUID,
) -> None:
    answer = sdk.chat.completions.create(
        model="fake-chat", messages=[{"role": "user", "content": "with a key"}]
    )
    assert answer.choices[0].message.content
    assert claude.messages.create(
        model="fake-chat", max_tokens=20, messages=[{"role": "user", "content": "x-api-key"}]
    ).content
    recorded(sidecar, tenant.workspace_id, 2)
    rows = sql(
        sidecar, "SELECT api_key_id FROM api.ai_usage WHERE workspace_id = %s", tenant.workspace_id
    )
    assert rows == [(key_id,), (key_id,)]
    revoke_key(sidecar, tenant, key_id)
    with pytest.raises(openai.AuthenticationError):
        sdk.chat.completions.create(model="fake-chat", messages=[{"role": "user", "content": "x"}])


def test_key_budget_exhausted_answers_429_not_to_retry(sidecar: Sidecar, tenant: Tenant) -> None:
    key, _ = create_key(sidecar, tenant, token_budget=50)
    with (
        openai.OpenAI(base_url=f"{sidecar.url}/v1", api_key=key, max_retries=0) as sdk,
        pytest.raises(openai.RateLimitError) as limited,
    ):
        sdk.chat.completions.create(
            model="fake-chat", messages=[{"role": "user", "content": "x"}], max_tokens=100
        )
    assert limited.value.response.headers["x-should-retry"] == "false"
    assert limited.value.response.headers["retry-after"]
    assert limited.value.code == "budget_exhausted"


def test_cache_entries_never_cross_workspaces(sidecar: Sidecar, tenant: Tenant) -> None:
    other = make_tenant(sidecar)
    body = {
        "model": "fake-chat",
        "messages": [{"role": "user", "content": "shared question"}],
        "temperature": 0,
    }
    url = f"{sidecar.url}/v1/chat/completions"
    with requests.Session() as http:
        first = http.post(url, json=body, headers=tenant.headers, timeout=10)
        again = http.post(url, json=body, headers=tenant.headers, timeout=10)
        theirs = http.post(url, json=body, headers=other.headers, timeout=10)
    assert [r.headers["x-taproot-cache"] for r in (first, again, theirs)] == ["miss", "hit", "miss"]


def test_key_requests_per_minute_hold_and_answer_429_with_retry_after(
    sidecar: Sidecar, tenant: Tenant
) -> None:
    key, _ = create_key(sidecar, tenant, requests_per_minute=3)
    body = {"model": "fake-chat", "messages": [{"role": "user", "content": "rpm"}]}
    url = f"{sidecar.url}/v1/chat/completions"
    headers = {"Authorization": f"Bearer {key}"}
    with requests.Session() as http:
        answers = [http.post(url, json=body, headers=headers, timeout=10) for _ in range(5)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429, 429]
    refused = answers[3]
    assert refused.json()["error"]["code"] == "rate_limit_exceeded"
    assert "3 requests per minute" in refused.json()["error"]["message"]
    # GCRA at 3 per minute: the next request is admitted 20 s after the first.
    assert 1 <= int(refused.headers["retry-after"]) <= 20
    assert "x-should-retry" not in refused.headers
    recorded(sidecar, tenant.workspace_id, 3)
    usage = sql(
        sidecar, "SELECT count(*) FROM api.ai_usage WHERE workspace_id = %s", tenant.workspace_id
    )
    assert usage == [(3,)], "refused calls are neither run nor billed"


def test_key_tokens_per_minute_count_input_then_output(sidecar: Sidecar, tenant: Tenant) -> None:
    key, _ = create_key(sidecar, tenant, tokens_per_minute=60)
    url = f"{sidecar.url}/v1/chat/completions"
    headers = {"Authorization": f"Bearer {key}"}
    small = {"model": "fake-chat", "messages": [{"role": "user", "content": "x" * 40}]}
    large = {"model": "fake-chat", "messages": [{"role": "user", "content": "x" * 400}]}
    with requests.Session() as http:
        first = http.post(url, json=small, headers=headers, timeout=10)
        too_big = http.post(url, json=large, headers=headers, timeout=10)
    assert first.status_code == 200, first.text
    assert too_big.status_code == 429
    assert "60 tokens per minute" in too_big.json()["error"]["message"]


def test_keys_without_limits_and_token_callers_are_not_rate_limited(
    sidecar: Sidecar, tenant: Tenant
) -> None:
    key, _ = create_key(sidecar, tenant)
    body = {"model": "fake-chat", "messages": [{"role": "user", "content": "free"}]}
    url = f"{sidecar.url}/v1/chat/completions"
    with requests.Session() as http:
        keyed = [
            http.post(url, json=body, headers={"Authorization": f"Bearer {key}"}, timeout=10)
            for _ in range(5)
        ]
        tokened = [http.post(url, json=body, headers=tenant.headers, timeout=10) for _ in range(5)]
    assert {a.status_code for a in keyed + tokened} == {200}

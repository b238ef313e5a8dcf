"""Workspace API keys: created with api.create_api_key, accepted until revoked."""

from __future__ import annotations

import json
import uuid

import anthropic
import openai
import pytest
import requests

from tests.sidecar.conftest import Sidecar, Tenant, make_tenant, sql


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

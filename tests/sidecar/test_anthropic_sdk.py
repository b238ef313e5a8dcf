"""The official anthropic SDK, pointed at the sidecar, works unchanged."""

from __future__ import annotations

from collections.abc import Iterator

import anthropic
import pytest

from tests.sidecar.conftest import Sidecar, Tenant, recorded, sql


@pytest.fixture
def sdk(sidecar: Sidecar, tenant: Tenant) -> Iterator[anthropic.Anthropic]:
    with anthropic.Anthropic(
        base_url=sidecar.url,
        auth_token=tenant.token,
        default_headers={"X-Taproot-Workspace": str(tenant.workspace_id)},
        max_retries=0,
    ) as client:
        yield client


def test_messages_whole(sidecar: Sidecar, tenant: Tenant, sdk: anthropic.Anthropic) -> None:
    message = sdk.messages.create(
        model="fake-chat",
        max_tokens=100,
        system="Be brief",
        messages=[{"role": "user", "content": "Hello there"}],
    )
    assert message.content[0].type == "text"
    assert message.content[0].text.startswith("[fake] ")
    assert message.stop_reason == "end_turn"
    assert message.usage.input_tokens > 0
    recorded(sidecar, tenant.workspace_id, 1)
    rows = sql(
        sidecar, "SELECT endpoint FROM api.ai_usage WHERE workspace_id = %s", tenant.workspace_id
    )
    assert rows == [("messages",)]


def test_messages_streamed(sidecar: Sidecar, tenant: Tenant, sdk: anthropic.Anthropic) -> None:
    with sdk.messages.stream(
        model="fake-chat", max_tokens=100, messages=[{"role": "user", "content": "Stream"}]
    ) as stream:
        kinds = [event.type for event in stream]
        final = stream.get_final_message()
    assert kinds[0] == "message_start" and kinds[-1] == "message_stop"
    assert "content_block_delta" in kinds
    assert final.content[0].text.startswith("[fake] ")  # type: ignore[union-attr]
    assert final.usage.output_tokens > 0


def test_errors_in_anthropic_shape(
    sidecar: Sidecar, tenant: Tenant, sdk: anthropic.Anthropic
) -> None:
    with pytest.raises(anthropic.BadRequestError) as bad:
        sdk.messages.create(
            model="fake-chat", max_tokens=0, messages=[{"role": "user", "content": "x"}]
        )
    assert bad.value.body == {
        "type": "error",
        "error": {
            "type": "invalid_request_error",
            "message": "max_tokens: Field required (a positive integer)",
        },
    }
    with pytest.raises(anthropic.AuthenticationError):
        anthropic.Anthropic(
            base_url=sidecar.url, api_key="tpk_nope", max_retries=0
        ).messages.create(
            model="fake-chat", max_tokens=5, messages=[{"role": "user", "content": "x"}]
        )

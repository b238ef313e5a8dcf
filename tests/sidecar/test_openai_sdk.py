"""The official openai SDK, pointed at the sidecar, works unchanged."""

from __future__ import annotations

import base64
import struct
from collections.abc import Iterator

import openai
import pytest
import requests

from tests.sidecar.conftest import Sidecar, Tenant, recorded, sql


@pytest.fixture
def sdk(sidecar: Sidecar, tenant: Tenant) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(
        base_url=f"{sidecar.url}/v1",
        api_key=tenant.token,
        default_headers={"X-Taproot-Workspace": str(tenant.workspace_id)},
        max_retries=0,
    ) as client:
        yield client


def test_chat_whole(sidecar: Sidecar, tenant: Tenant, sdk: openai.OpenAI) -> None:
    raw = sdk.chat.completions.with_raw_response.create(
        model="fake-chat", messages=[{"role": "user", "content": "Say hello"}]
    )
    answer = raw.parse()
    assert answer.choices[0].message.content.startswith("[fake] ")  # type: ignore[union-attr]
    assert answer.choices[0].finish_reason == "stop"
    assert answer.usage is not None and answer.usage.prompt_tokens == 3
    assert float(raw.headers["x-taproot-overhead-ms"]) >= 0
    recorded(sidecar, tenant.workspace_id, 1)
    rows = sql(
        sidecar,
        "SELECT endpoint, provider, input_tokens, output_tokens, status, estimated"
        " FROM api.ai_usage WHERE workspace_id = %s",
        tenant.workspace_id,
    )
    assert rows == [("chat", "fake", 3, answer.usage.completion_tokens, "ok", False)]


def test_chat_streamed_with_usage(sidecar: Sidecar, tenant: Tenant, sdk: openai.OpenAI) -> None:
    stream = sdk.chat.completions.create(
        model="fake-chat",
        messages=[{"role": "user", "content": "Stream to me"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text.startswith("[fake] ")
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    assert chunks[-1].usage.prompt_tokens == 3


def test_chat_streamed_without_usage_has_no_usage_chunk(
    sidecar: Sidecar, tenant: Tenant, sdk: openai.OpenAI
) -> None:
    stream = sdk.chat.completions.create(
        model="fake-chat", messages=[{"role": "user", "content": "no usage"}], stream=True
    )
    chunks = list(stream)
    assert all(c.choices for c in chunks)
    assert all(c.usage is None for c in chunks)
    recorded(sidecar, tenant.workspace_id, 1)
    (count,) = sql(
        sidecar, "SELECT count(*) FROM api.ai_usage WHERE workspace_id = %s", tenant.workspace_id
    )[0]
    assert count == 1  # usage is always recorded, even when the client did not ask for it


def test_embeddings_float_and_base64(sidecar: Sidecar, tenant: Tenant, sdk: openai.OpenAI) -> None:
    floats = sdk.embeddings.create(
        model="fake-embed", input=["one", "two"], encoding_format="float"
    )
    assert len(floats.data) == 2 and len(floats.data[0].embedding) == 16
    # The SDK asks for base64 by default and decodes it
    decoded = sdk.embeddings.create(model="fake-embed", input=["one", "two"])
    assert decoded.data[0].embedding == pytest.approx(floats.data[0].embedding, rel=1e-6)
    with requests.Session() as http:
        raw = http.post(
            f"{sidecar.url}/v1/embeddings",
            json={"model": "fake-embed", "input": "one", "encoding_format": "base64"},
            headers=tenant.headers,
            timeout=10,
        ).json()
    packed = base64.b64decode(raw["data"][0]["embedding"])
    assert list(struct.unpack("<16f", packed)) == pytest.approx(floats.data[0].embedding, rel=1e-6)


def test_models_lists_routes_and_default_models(
    sidecar: Sidecar, tenant: Tenant, sdk: openai.OpenAI
) -> None:
    sql(
        sidecar,
        "INSERT INTO api.ai_routes (workspace_id, model, position, credential, upstream_model)"
        " VALUES (%s, 'house-model', 1, 'fake', 'fake-chat')",
        tenant.workspace_id,
    )
    names = [m.id for m in sdk.models.list()]
    assert names[0] == "house-model"
    assert "fake-chat" in names and "fake-embed" in names


def test_errors_in_openai_shape(sidecar: Sidecar, tenant: Tenant, sdk: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as bad:
        sdk.chat.completions.create(model="fake-chat", messages=[])
    assert bad.value.body["param"] == "messages"  # type: ignore[index]
    with (
        openai.OpenAI(base_url=f"{sidecar.url}/v1", api_key="nope", max_retries=0) as stranger,
        pytest.raises(openai.AuthenticationError),
    ):
        stranger.models.list()
    with requests.Session() as http:
        missing = http.get(
            f"{sidecar.url}/v1/models",
            headers={"Authorization": f"Bearer {tenant.token}"},
            timeout=5,
        )
    assert missing.status_code == 400
    assert missing.json()["error"]["param"] == "x-taproot-workspace"
    assert "x-taproot-overhead-ms" in missing.headers

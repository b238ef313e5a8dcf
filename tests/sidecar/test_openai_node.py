"""openai-node streams a chat completion from the sidecar (tests/gateway/js/ai/stream_chat.mjs).

Node and the locked npm packages (tests/gateway/js/package-lock.json, openai among them)
are installed by taproot.node_deps on first use. The sidecar here is configured by
OPENAI_BASE_URL/OPENAI_API_KEY for a loopback OpenAI-compatible server, so the text and
the token counts are the upstream's exact ones.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from taproot.database import Database
from taproot.node_deps import ensure_node_packages
from tests.sidecar.conftest import Sidecar, Tenant, make_tenant
from tests.sidecar.upstream_fixtures import (
    OPENAI_KEY,
    Loopback,
    serve_loopback,
    settled_rows,
    upstream_sidecar,
)

JS_DIR = Path(__file__).resolve().parents[1] / "gateway" / "js"
SCRIPT = Path("ai") / "stream_chat.mjs"
NODE_TIMEOUT = 60


@pytest.fixture(scope="module")
def node() -> str:
    ensure_node_packages(JS_DIR)
    found = shutil.which("node")
    assert found is not None, "node is not installed (taproot.node_deps should have said so)"
    return found


@pytest.fixture(scope="module")
def loopback() -> Iterator[Loopback]:
    with serve_loopback() as served:
        yield served


@pytest.fixture(scope="module")
def upstream(sidecar_db: Database, loopback: Loopback) -> Iterator[Sidecar]:
    with upstream_sidecar(sidecar_db, loopback) as started:
        yield started


def run_script(
    node: str, sidecar: Sidecar, tenant: Tenant, model: str
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "AI_BASE_URL": f"{sidecar.url}/v1",
        "AI_TOKEN": tenant.token,
        "AI_WORKSPACE": str(tenant.workspace_id),
        "AI_MODEL": model,
    }
    return subprocess.run(
        [node, str(SCRIPT)],
        cwd=JS_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=NODE_TIMEOUT,
        check=False,
    )


def stream_chat(node: str, sidecar: Sidecar, tenant: Tenant, model: str) -> dict[str, Any]:
    result = run_script(node, sidecar, tenant, model)
    assert result.returncode == 0, f"node {SCRIPT} failed:\n{result.stdout}\n{result.stderr}"
    printed: dict[str, Any] = json.loads(result.stdout)
    return printed


def test_openai_node_streams_text_and_usage(
    node: str, upstream: Sidecar, loopback: Loopback
) -> None:
    tenant = make_tenant(upstream)
    before = loopback.count()
    printed = stream_chat(node, upstream, tenant, "ok")
    assert printed["text"] == "Hello world"
    assert printed["usage_chunks"] == 1
    usage = printed["usage"]
    assert (usage["prompt_tokens"], usage["completion_tokens"], usage["total_tokens"]) == (
        11,
        3,
        14,
    )
    assert usage["prompt_tokens_details"] == {"cached_tokens": 4}
    assert usage["completion_tokens_details"] == {"reasoning_tokens": 2}
    (seen,) = loopback.received()[before:]
    assert seen.headers["authorization"] == f"Bearer {OPENAI_KEY}"
    assert seen.body["stream_options"] == {"include_usage": True}
    rows = settled_rows(
        upstream,
        "SELECT endpoint, provider, model, input_tokens, output_tokens, cached_input_tokens,"
        " reasoning_tokens, status, estimated FROM api.ai_usage WHERE workspace_id = %s",
        tenant.workspace_id,
    )
    assert rows == [("chat", "openai", "ok", 11, 3, 4, 2, "ok", False)]


def test_openai_node_sees_the_sidecars_errors(node: str, upstream: Sidecar) -> None:
    viewer = make_tenant(upstream, role="viewer")
    result = run_script(node, upstream, viewer, "ok")
    assert result.returncode == 1, result.stderr
    thrown = json.loads(result.stdout)["thrown"]
    assert (thrown["name"], thrown["status"]) == ("PermissionDeniedError", 403)

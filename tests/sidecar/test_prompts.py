"""Stored prompts: render (400 listing every input problem) and run (recorded request)."""

from __future__ import annotations

import json
import uuid

import requests

from tests.sidecar.conftest import Sidecar, Tenant, sql


def make_prompt(sidecar: Sidecar, tenant: Tenant) -> uuid.UUID:
    prompt_id = uuid.uuid4()
    sql(
        sidecar,
        "INSERT INTO api.prompts (id, workspace_id, name, created_by) VALUES (%s, %s, 'sum', %s)",
        prompt_id,
        tenant.workspace_id,
        tenant.user_id,
    )
    sql(
        sidecar,
        "INSERT INTO api.prompt_versions (prompt_id, template, variables, model, params)"
        " VALUES (%s, 'Summarize {{ text }} in {{ words }} words', %s, 'fake-chat', %s)",
        prompt_id,
        json.dumps({"text": "string", "words": "integer"}),
        json.dumps({"system": "Be terse", "temperature": 0}),
    )
    return prompt_id


def post(sidecar: Sidecar, tenant: Tenant, path: str, body: object) -> requests.Response:
    with requests.Session() as http:
        return http.post(f"{sidecar.url}{path}", json=body, headers=tenant.headers, timeout=30)


def test_render_lists_every_problem(sidecar: Sidecar, tenant: Tenant) -> None:
    prompt_id = make_prompt(sidecar, tenant)
    bad = post(
        sidecar,
        tenant,
        "/prompts/render",
        {"prompt_id": str(prompt_id), "inputs": {"words": "ten", "tone": "dry"}},
    )
    assert bad.status_code == 400
    details = bad.json()["error"]["details"]
    assert details["missing"] == ["text"] and details["unknown"] == ["tone"]
    assert details["mistyped"][0]["name"] == "words"
    good = post(
        sidecar,
        tenant,
        "/prompts/render",
        {"prompt_id": str(prompt_id), "inputs": {"text": "a report", "words": 10}},
    ).json()
    assert good["messages"] == [
        {"role": "system", "content": "Be terse"},
        {"role": "user", "content": "Summarize a report in 10 words"},
    ]
    assert good["model"] == "fake-chat" and good["version"] == 1


def test_run_records_a_request_and_its_usage(sidecar: Sidecar, tenant: Tenant) -> None:
    prompt_id = make_prompt(sidecar, tenant)
    inputs = {"text": "a report", "words": 10}
    ran = post(sidecar, tenant, "/prompts/run", {"prompt_id": str(prompt_id), "inputs": inputs})
    assert ran.status_code == 200, ran.text
    body = ran.json()
    rows = sql(
        sidecar,
        "SELECT r.status, r.result, r.job_id, u.endpoint FROM api.ai_requests r"
        " JOIN api.ai_usage u ON u.request_id = r.id WHERE r.id = %s",
        uuid.UUID(body["request_id"]),
    )
    assert rows == [("succeeded", body["result"], None, "prompts.run")]
    streamed = post(
        sidecar,
        tenant,
        "/prompts/run",
        {"prompt_id": str(prompt_id), "inputs": {"text": "b", "words": 2}, "stream": True},
    )
    assert streamed.text.endswith("data: [DONE]\n\n")
    request_id = uuid.UUID(streamed.headers["x-taproot-request-id"])
    status = sql(sidecar, "SELECT status FROM api.ai_requests WHERE id = %s", request_id)
    assert status == [("succeeded",)]

"""GET /api/realtime end to end: real PostgreSQL, a real gateway, HTTP clients reading."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import httpx

from tests.realtime.conftest import SSE, Stack
from tests.stack import make_prompt


def api(stack_url: str, method: str, path: str, token: str, body: Any = None) -> httpx.Response:
    return httpx.request(
        method,
        stack_url + "/api" + path,
        json=body,
        headers={"Authorization": f"Bearer {token}", "Prefer": "return=representation"},
        timeout=10,
    )


def open_stream(streams: list[SSE], url: str, topics: str, token: str, **params: str) -> SSE:
    stream = SSE(url, {"topics": topics, "access_token": token, **params})
    streams.append(stream)
    return stream


def new_document(url: str, token: str, workspace: uuid.UUID, title: str) -> str:
    resp = api(url, "POST", "/documents", token, {"workspace_id": str(workspace), "title": title})
    assert resp.status_code == 201, resp.text
    return str(resp.json()[0]["id"])


def test_ai_request_created_reaches_workspace_and_request_subscribers(
    stack: Stack, streams: list[SSE]
) -> None:
    gw = stack.start()
    tenant = stack.tenant()
    token = stack.token(tenant.user_id)
    prompt = make_prompt(stack.db, tenant)
    ws = open_stream(streams, gw.url, f"workspace:{tenant.workspace_id}", token)
    assert ws.status == 200
    assert ws.headers is not None
    assert ws.headers["content-type"].startswith("text/event-stream")
    resp = api(
        gw.url,
        "POST",
        "/rpc/run_prompt",
        token,
        {"prompt_id": str(prompt), "inputs": {"name": "x"}},
    )
    assert resp.status_code == 200, resp.text
    request_id = resp.json()["id"]
    created = ws.wait_event("ai_requests.created")
    body = created.json
    assert created.id == body["id"]
    assert body["workspace_id"] == str(tenant.workspace_id)
    assert (body["topic"], body["kind"], body["entity_id"]) == (
        "ai_requests",
        "created",
        request_id,
    )
    assert body["payload"]["status"] == "queued"
    assert "created_at" in body
    assert ws.retry == 200
    # one request's subscriber hears its status change (the cancellation)
    one = open_stream(streams, gw.url, f"request:{request_id}", token)
    resp = api(gw.url, "POST", "/rpc/cancel_request", token, {"id": request_id})
    assert resp.status_code == 200, resp.text
    updated = one.wait_event("ai_requests.updated")
    assert updated.json["payload"]["status"] == "cancelled"
    assert [e.event for e in one.events if e.id is not None] == ["ai_requests.updated"]


def test_documents_of_another_workspace_never_arrive(stack: Stack, streams: list[SSE]) -> None:
    gw = stack.start()
    mine, theirs = stack.tenant(), stack.tenant()
    token, their_token = stack.token(mine.user_id), stack.token(theirs.user_id)
    stream = open_stream(streams, gw.url, f"workspace:{mine.workspace_id},user:me", token)
    new_document(gw.url, their_token, theirs.workspace_id, "not yours")
    doc = new_document(gw.url, token, mine.workspace_id, "yours")
    event = stream.wait_event("documents.created")
    assert event.json["entity_id"] == doc
    assert event.json["payload"] == {"title": "yours"}
    time.sleep(0.3)
    assert [e.json["entity_id"] for e in stream.events if e.id] == [doc]


def test_memberships_reach_the_workspace_and_the_invited_user(
    stack: Stack, streams: list[SSE]
) -> None:
    gw = stack.start()
    admin, other = stack.tenant(role="admin"), stack.tenant()
    ws = open_stream(streams, gw.url, f"workspace:{admin.workspace_id}", stack.token(admin.user_id))
    me = open_stream(streams, gw.url, "user:me", stack.token(other.user_id))
    resp = api(
        gw.url,
        "POST",
        "/rpc/invite_member",
        stack.token(admin.user_id),
        {"workspace_id": str(admin.workspace_id), "email": other.email},
    )
    assert resp.status_code == 200, resp.text
    for stream in (ws, me):
        event = stream.wait_event("memberships.created")
        assert event.json["entity_id"] == str(other.user_id)
        assert event.json["workspace_id"] == str(admin.workspace_id)


def test_a_forbidden_topic_is_refused_with_403_before_the_stream(stack: Stack) -> None:
    gw = stack.start()
    mine, theirs = stack.tenant(), stack.tenant()
    resp = httpx.get(
        gw.url + "/api/realtime",
        params={"topics": f"workspace:{mine.workspace_id},workspace:{theirs.workspace_id}"},
        headers={"Authorization": f"Bearer {stack.token(mine.user_id)}", "Origin": "http://x"},
        timeout=10,
    )
    assert resp.status_code == 403
    assert resp.headers["access-control-allow-origin"] == "*"
    body = resp.json()
    assert set(body) == {"code", "message", "details", "hint"}
    assert body["code"] == "42501"
    assert f"workspace:{theirs.workspace_id}" in body["message"]
    anonymous = httpx.get(gw.url + "/api/realtime", params={"topics": "user:me"}, timeout=10)
    assert anonymous.status_code == 401
    bad = httpx.get(
        gw.url + "/api/realtime",
        params={"topics": "", "access_token": stack.token(mine.user_id)},
        timeout=10,
    )
    assert bad.status_code == 400
    assert bad.json()["code"] == "PGRST100"


def test_token_expiry_ends_the_stream_with_a_final_event(stack: Stack, streams: list[SSE]) -> None:
    gw = stack.start()
    tenant = stack.tenant()
    stream = open_stream(
        streams, gw.url, f"workspace:{tenant.workspace_id}", stack.token(tenant.user_id, ttl=2)
    )
    final = stream.wait_event("realtime.closed", timeout=10)
    assert final.json == {"reason": "token_expired", "action": "reauthenticate"}
    stream.wait_end()


def test_removal_from_the_workspace_ends_the_stream(stack: Stack, streams: list[SSE]) -> None:
    gw = stack.start()
    tenant, stays = stack.tenant(), stack.tenant()
    token = stack.token(tenant.user_id)
    leaving = open_stream(streams, gw.url, f"workspace:{tenant.workspace_id},user:me", token)
    bystander = open_stream(
        streams, gw.url, f"workspace:{stays.workspace_id}", stack.token(stays.user_id)
    )
    resp = api(
        gw.url,
        "DELETE",
        f"/memberships?workspace_id=eq.{tenant.workspace_id}&user_id=eq.{tenant.user_id}",
        token,
    )
    assert resp.status_code == 200, resp.text
    final = leaving.wait_event("realtime.closed")
    assert final.json["reason"] == "forbidden"
    assert final.json["topics"] == [f"workspace:{tenant.workspace_id}"]
    leaving.wait_end()
    assert not bystander.ended.is_set()
    # the user's own channel still says what happened, on resume
    again = open_stream(streams, gw.url, "user:me", token, last_event_id="0")
    deleted = again.wait_event("memberships.deleted")
    assert deleted.json["entity_id"] == str(tenant.user_id)


def test_resume_with_last_event_id_replays_every_missed_event_once_in_order(
    stack: Stack, streams: list[SSE]
) -> None:
    gw = stack.start()
    tenant, other = stack.tenant(), stack.tenant()
    token = stack.token(tenant.user_id)
    topic = f"workspace:{tenant.workspace_id}"
    first = open_stream(streams, gw.url, topic, token)
    new_document(gw.url, token, tenant.workspace_id, "seen")
    first.wait_event("documents.created")
    last = first.last_id
    first.close()
    missed = [new_document(gw.url, token, tenant.workspace_id, f"missed {i}") for i in range(5)]
    new_document(gw.url, stack.token(other.user_id), other.workspace_id, "elsewhere")
    second = SSE(gw.url, {"topics": topic, "access_token": token}, {"Last-Event-ID": str(last)})
    streams.append(second)
    second.wait(lambda evs: len([e for e in evs if e.id]) >= 5)
    live = new_document(gw.url, token, tenant.workspace_id, "live")
    events = second.wait(lambda evs: len([e for e in evs if e.id]) >= 6)
    got = [e for e in events if e.id]
    assert [e.json["entity_id"] for e in got] == [*missed, live]
    ids = [e.id or 0 for e in got]
    assert ids == sorted(set(ids))
    assert last is not None and min(ids) > last


def test_killing_the_listen_connection_loses_nothing(stack: Stack, streams: list[SSE]) -> None:
    gw = stack.start()
    tenant = stack.tenant()
    token = stack.token(tenant.user_id)
    stream = open_stream(streams, gw.url, f"workspace:{tenant.workspace_id}", token)
    killed = stack.sql(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
        " WHERE application_name = 'taproot-gateway-realtime' AND datname = current_database()"
    )
    assert killed == [(True,)]
    docs = [new_document(gw.url, token, tenant.workspace_id, f"during {i}") for i in range(5)]
    events = stream.wait(lambda evs: len([e for e in evs if e.id]) >= 5, timeout=15)
    assert [e.json["entity_id"] for e in events if e.id] == docs
    rt = gw.app.realtime
    assert rt is not None
    assert rt.feed.connected
    time.sleep(0.3)
    assert len([e for e in stream.events if e.id]) == 5


def test_a_restarted_gateway_resumes_clients_with_nothing_lost(
    stack: Stack, streams: list[SSE]
) -> None:
    first = stack.start()
    tenant = stack.tenant()
    token = stack.token(tenant.user_id)
    topic = f"workspace:{tenant.workspace_id}"
    stream = open_stream(streams, first.url, topic, token)
    before = new_document(first.url, token, tenant.workspace_id, "before")
    stream.wait_event("documents.created")
    first.stop()
    final = stream.wait_event("realtime.closed")
    assert final.json == {"reason": "shutdown", "action": "reconnect"}
    stream.wait_end()
    with stack.db.connect() as conn:  # the API is down: changes straight in the database
        conn.execute(
            "INSERT INTO api.documents (workspace_id, title) VALUES (%s, 'while down')",
            (tenant.workspace_id,),
        )
    second = stack.start()
    resumed = SSE(
        second.url, {"topics": topic, "access_token": token, "last_event_id": str(stream.last_id)}
    )
    streams.append(resumed)
    event = resumed.wait_event("documents.created")
    assert event.json["payload"] == {"title": "while down"}
    assert event.json["entity_id"] != before


def test_a_payload_over_8000_bytes_is_delivered_intact(stack: Stack, streams: list[SSE]) -> None:
    gw = stack.start()
    tenant = stack.tenant()
    stream = open_stream(
        streams, gw.url, f"workspace:{tenant.workspace_id}", stack.token(tenant.user_id)
    )
    big = "é" + "x" * 20000 + "\n" + "y" * 100
    stack.sql(
        "SELECT app.emit_event(%s, 'documents', 'updated', gen_random_uuid(),"
        " jsonb_build_object('big', %s::text))",
        tenant.workspace_id,
        big,
    )
    event = stream.wait_event("documents.updated")
    assert len(event.data) > 8000
    assert event.json["payload"]["big"] == big


def test_a_delta_notify_reaches_the_request_subscribers_only(
    stack: Stack, streams: list[SSE]
) -> None:
    gw = stack.start()
    tenant = stack.tenant()
    token = stack.token(tenant.user_id)
    prompt = make_prompt(stack.db, tenant)
    request_id = api(
        gw.url,
        "POST",
        "/rpc/run_prompt",
        token,
        {"prompt_id": str(prompt), "inputs": {"name": "x"}},
    ).json()["id"]
    one = open_stream(streams, gw.url, f"request:{request_id}", token)
    ws = open_stream(streams, gw.url, f"workspace:{tenant.workspace_id}", token)
    delta = {
        "channel": f"request:{request_id}",
        "event": "ai_requests.delta",
        "data": {"request_id": request_id, "index": 0, "text": "Hel"},
    }
    stack.sql("SELECT pg_notify('taproot_deltas', %s)", json.dumps(delta))
    event = one.wait_event("ai_requests.delta")
    assert event.id is None
    assert event.json == delta["data"]
    time.sleep(0.3)
    assert not [e for e in ws.events if e.event == "ai_requests.delta"]


def test_a_resume_older_than_retention_asks_to_refetch(stack: Stack, streams: list[SSE]) -> None:
    gw = stack.start()
    tenant = stack.tenant()
    token = stack.token(tenant.user_id)
    stack.sql("SELECT app.prune_events('0 seconds')")
    new_document(gw.url, token, tenant.workspace_id, "kept")
    stream = open_stream(
        streams, gw.url, f"workspace:{tenant.workspace_id}", token, last_event_id="1"
    )
    final = stream.wait_event("realtime.closed")
    assert final.json["reason"] == "retention"
    assert final.json["action"] == "refetch"
    assert final.id is not None
    stream.wait_end()


def test_keep_alive_comments_and_the_per_user_cap(stack: Stack, streams: list[SSE]) -> None:
    gw = stack.start(PGRST_REALTIME_MAX_STREAMS_PER_USER="1")
    tenant = stack.tenant()
    token = stack.token(tenant.user_id)
    first = open_stream(streams, gw.url, "user:me", token)
    second = open_stream(streams, gw.url, "user:me", token)
    assert second.status == 200
    final = second.wait_event("realtime.closed")
    assert final.json["reason"] == "too_many_streams"
    assert second.retry == 200
    second.wait_end()
    time.sleep(1.5)
    assert "keep-alive" in first.comments
    assert not first.ended.is_set()


def test_an_event_of_a_transaction_with_an_older_xid_is_not_skipped(
    stack: Stack, streams: list[SSE]
) -> None:
    """The hole race: B took its xid before A, A's event id is smaller, B commits first.

    The snapshot after B's commit has xmax = B's xid + 1 ≤ A's xid, so "xmin ≥ xmax seen
    with the hole" is already true while A still runs; the feed must wait for A anyway.
    """
    gw = stack.start()
    tenant = stack.tenant()
    token = stack.token(tenant.user_id)
    stream = open_stream(streams, gw.url, f"workspace:{tenant.workspace_id}", token)
    emit = "SELECT app.emit_event(%s, 'documents', 'updated', %s)"
    with stack.db.connect() as a, stack.db.connect() as b:
        a.autocommit = b.autocommit = False
        b.execute("SELECT pg_current_xact_id()")  # B's xid first
        row_a = a.execute(emit, (tenant.workspace_id, uuid.uuid4())).fetchone()
        row_b = b.execute(emit, (tenant.workspace_id, uuid.uuid4())).fetchone()
        assert row_a is not None and row_b is not None
        first, second = int(str(row_a[0])), int(str(row_b[0]))
        assert first < second
        b.commit()
        time.sleep(1.0)  # the feed sees the hole at `first` and must not pass it
        a.commit()
    events = stream.wait(lambda evs: len([e for e in evs if e.id]) >= 2, timeout=15)
    assert [e.id for e in events if e.id] == [first, second]

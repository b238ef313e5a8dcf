"""Triggers on documents, memberships and AI requests NOTIFY taproot_events at commit with
{id, workspace_id, topic, kind, entity_id}, matching the app.events row."""

from __future__ import annotations

import json

from taproot.database import Database
from taproot.provision import seed

DEMO_WORKSPACE = "11111111-1111-4111-8111-111111111111"
BOB = "b0b00000-0000-4000-8000-000000000002"


def test_document_insert_notifies_taproot_events(app_db: Database) -> None:
    seed(app_db)
    with app_db.connect() as listener, app_db.connect() as writer:
        listener.execute("LISTEN taproot_events")
        row = writer.execute(
            "INSERT INTO api.documents (workspace_id, title, created_by)"
            " VALUES (%s, 'Fresh', %s) RETURNING id::text",
            (DEMO_WORKSPACE, BOB),
        ).fetchone()
        assert row is not None
        notices = [n for n in listener.notifies(timeout=5, stop_after=1)]
    assert len(notices) == 1
    assert notices[0].channel == "taproot_events"
    payload = json.loads(notices[0].payload)
    assert set(payload) == {"id", "workspace_id", "topic", "kind", "entity_id"}
    assert payload["topic"] == "documents"
    assert payload["kind"] == "created"
    assert payload["workspace_id"] == DEMO_WORKSPACE
    assert payload["entity_id"] == row[0]
    with app_db.connect() as conn:
        event = conn.execute(
            "SELECT topic, kind, entity_id::text FROM app.events WHERE id = %s", (payload["id"],)
        ).fetchone()
    assert event == ("documents", "created", row[0])


def test_ai_request_status_changes_notify(app_db: Database) -> None:
    seed(app_db)
    with app_db.connect() as listener, app_db.connect() as writer:
        listener.execute("LISTEN taproot_events")
        with writer.transaction():
            row = writer.execute(
                "SELECT id::text FROM api.ai_requests WHERE status = 'succeeded'"
            ).fetchone()
            assert row is not None
            request = writer.execute(
                "INSERT INTO api.ai_requests (prompt_version_id, inputs, requested_by)"
                " SELECT prompt_version_id, inputs, requested_by FROM api.ai_requests"
                " WHERE id = %s RETURNING id::text",
                (row[0],),
            ).fetchone()
            assert request is not None
            writer.execute(
                "UPDATE api.ai_requests SET status = 'running' WHERE id = %s", (request[0],)
            )
        notices = [json.loads(n.payload) for n in listener.notifies(timeout=5, stop_after=2)]
    assert [(n["topic"], n["kind"], n["entity_id"]) for n in notices] == [
        ("ai_requests", "created", request[0]),
        ("ai_requests", "updated", request[0]),
    ]

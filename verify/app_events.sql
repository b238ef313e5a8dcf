-- Verify taproot:app_events on pg
BEGIN;

SELECT id, workspace_id, topic, kind, entity_id, payload, created_at FROM app.events WHERE false;
SELECT 'app.emit_event(uuid, text, text, uuid, jsonb)'::regprocedure;
SELECT 'app.emit_row_event()'::regprocedure;

ROLLBACK;

-- Revert taproot:app_events from pg
BEGIN;

DROP FUNCTION app.emit_row_event();
DROP FUNCTION app.emit_event(uuid, text, text, uuid, jsonb);
DROP TABLE app.events;

COMMIT;

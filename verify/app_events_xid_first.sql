-- Verify taproot:app_events_xid_first on pg
BEGIN;

SELECT 1 / (pg_catalog.pg_get_functiondef('app.emit_event(uuid, text, text, uuid, jsonb)'::regprocedure)
            LIKE '%pg_current_xact_id()%')::int;

ROLLBACK;

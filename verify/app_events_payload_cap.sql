-- Verify taproot:app_events_payload_cap on pg
BEGIN;

SELECT 1 / (pg_catalog.pg_get_constraintdef(c.oid) LIKE '%65536%')::int
FROM pg_catalog.pg_constraint c
WHERE c.conrelid = 'app.events'::regclass AND c.conname = 'events_payload_small_object';

ROLLBACK;

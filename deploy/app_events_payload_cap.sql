-- Deploy taproot:app_events_payload_cap to pg
-- requires: app_events
-- Event payloads may reach 64 kB (they were capped at 2 kB): the real-time feed reads the
-- body from the outbox by id, so nothing has to fit in a NOTIFY payload (8,000 bytes).
BEGIN;

ALTER TABLE app.events DROP CONSTRAINT events_payload_small_object;
ALTER TABLE app.events ADD CONSTRAINT events_payload_small_object
    CHECK (jsonb_typeof(payload) = 'object' AND pg_column_size(payload) <= 65536);

COMMIT;

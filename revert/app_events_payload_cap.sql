-- Revert taproot:app_events_payload_cap from pg
BEGIN;

-- NOT VALID: events already written under the 64 kB cap stay; new ones are held to 2 kB.
ALTER TABLE app.events DROP CONSTRAINT events_payload_small_object;
ALTER TABLE app.events ADD CONSTRAINT events_payload_small_object
    CHECK (jsonb_typeof(payload) = 'object' AND pg_column_size(payload) <= 2048) NOT VALID;

COMMIT;

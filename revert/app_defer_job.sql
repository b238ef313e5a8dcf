-- Revert taproot:app_defer_job from pg
BEGIN;

DROP FUNCTION app.cancel_job(bigint);
DROP FUNCTION app.defer_job(text, jsonb, text, text, timestamptz, text, integer);

COMMIT;

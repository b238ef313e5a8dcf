-- Verify taproot:app_defer_job on pg
BEGIN;

SELECT 'app.defer_job(text, jsonb, text, text, timestamptz, text, integer)'::regprocedure;
SELECT 'app.cancel_job(bigint)'::regprocedure;

ROLLBACK;

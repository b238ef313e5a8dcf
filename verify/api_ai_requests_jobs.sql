-- Verify taproot:api_ai_requests_jobs on pg
BEGIN;

SELECT job_id, next_attempt_at, last_error FROM api.ai_requests WHERE false;
SELECT 'app.claim_ai_request(uuid, bigint)'::regprocedure;
SELECT 'app.finish_ai_request(uuid, integer, text, text, text, timestamptz, integer, integer, numeric, boolean)'::regprocedure;
SELECT 'app.start_sync_ai_request(uuid, jsonb, integer)'::regprocedure;
SELECT 'app.prune_events(interval)'::regprocedure;
SELECT 1 / count(*) FROM pg_catalog.pg_trigger
WHERE tgrelid = 'api.ai_requests'::regclass AND tgname = 'ai_requests_queue_job';

ROLLBACK;

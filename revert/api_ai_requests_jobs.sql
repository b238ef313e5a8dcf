-- Revert taproot:api_ai_requests_jobs from pg
BEGIN;

DROP FUNCTION app.prune_events(interval);
DROP FUNCTION app.start_sync_ai_request(uuid, jsonb, integer);
DROP FUNCTION app.finish_ai_request(uuid, integer, text, text, text, timestamptz, integer, integer, numeric, boolean);
DROP FUNCTION app.claim_ai_request(uuid, bigint);
DROP TRIGGER ai_requests_finished_immutable ON api.ai_requests;
DROP TRIGGER ai_requests_cancel_job ON api.ai_requests;
DROP TRIGGER ai_requests_queue_job ON api.ai_requests;
DROP FUNCTION app.keep_finished_ai_request();
DROP FUNCTION app.cancel_ai_request_job();
DROP FUNCTION app.queue_ai_request_job();
ALTER TABLE api.ai_requests DROP CONSTRAINT ai_requests_queued_has_job,
    DROP COLUMN last_error, DROP COLUMN next_attempt_at, DROP COLUMN job_id;

COMMIT;

-- Verify taproot:api_ai_requests on pg
BEGIN;

SELECT id, workspace_id, prompt_version_id, inputs, status, result, error, attempts, tokens_in,
       tokens_out, cost, cache_hit, requested_by, created_at, started_at, finished_at, updated_at
FROM api.ai_requests WHERE false;

ROLLBACK;

-- Revert taproot:api_run_prompt from pg
BEGIN;

DROP FUNCTION api.cancel_request(uuid);
DROP FUNCTION api.run_prompt(uuid, jsonb, integer);

COMMIT;

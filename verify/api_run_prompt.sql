-- Verify taproot:api_run_prompt on pg
BEGIN;

SELECT 1 / has_function_privilege('authenticated', 'api.run_prompt(uuid, jsonb, integer)', 'execute')::int;
SELECT 1 / has_function_privilege('authenticated', 'api.cancel_request(uuid)', 'execute')::int;
SELECT 1 / (NOT has_function_privilege('anon', 'api.run_prompt(uuid, jsonb, integer)', 'execute'))::int;

ROLLBACK;

-- Verify taproot:api_api_keys on pg
BEGIN;

SELECT id, workspace_id, name, prefix, created_by, created_at, revoked_at, last_used_at, token_budget,
       tokens_used, tokens_reserved, requests_per_minute, tokens_per_minute
FROM api.api_keys WHERE false;
SELECT 1 / (NOT has_column_privilege('authenticated', 'app.api_keys', 'digest', 'select'))::int;
SELECT 1 / has_function_privilege('anon', 'app.authenticate_api_key(text)', 'execute')::int;
SELECT 1 / has_function_privilege('authenticated', 'api.create_api_key(uuid, text, bigint, integer, integer)', 'execute')::int;
SELECT 1 / (NOT has_function_privilege('anon', 'api.create_api_key(uuid, text, bigint, integer, integer)', 'execute'))::int;
SELECT app.may_run_ai(NULL);

ROLLBACK;

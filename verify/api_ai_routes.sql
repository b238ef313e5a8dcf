-- Verify taproot:api_ai_routes on pg
BEGIN;

SELECT id, workspace_id, model, position, credential, upstream_model, created_at
FROM api.ai_routes WHERE false;
SELECT 1 / has_function_privilege('authenticated', 'api.ai_route(uuid, text)', 'execute')::int;
SELECT 1 / (NOT has_function_privilege('anon', 'api.ai_route(uuid, text)', 'execute'))::int;

ROLLBACK;

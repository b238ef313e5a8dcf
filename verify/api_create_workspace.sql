-- Verify taproot:api_create_workspace on pg
BEGIN;

SELECT 1 / has_function_privilege('authenticated', 'api.create_workspace(text)', 'execute')::int;

ROLLBACK;

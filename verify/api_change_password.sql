-- Verify taproot:api_change_password on pg
BEGIN;

SELECT 1 / has_function_privilege('authenticated', 'api.change_password(text, text)', 'execute')::int;
SELECT 1 / (NOT has_function_privilege('anon', 'api.change_password(text, text)', 'execute'))::int;

ROLLBACK;

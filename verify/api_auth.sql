-- Verify taproot:api_auth on pg
BEGIN;

SELECT 1 / has_function_privilege('anon', 'api.signup(text, text, text)', 'execute')::int;
SELECT 1 / has_function_privilege('anon', 'api.login(text, text)', 'execute')::int;
SELECT 1 / has_function_privilege('anon', 'api.refresh(text)', 'execute')::int;
SELECT 1 / has_function_privilege('authenticated', 'api.logout()', 'execute')::int;
SELECT 1 / (NOT has_function_privilege('anon', 'api.logout()', 'execute'))::int;

ROLLBACK;

-- Verify taproot:app_provider_credentials on pg
BEGIN;

SELECT 1 / has_function_privilege('worker', 'app.provider_credential(uuid, text)', 'execute')::int;
SELECT 1 / has_function_privilege('authenticated', 'app.provider_credential(uuid, text)', 'execute')::int;
SELECT 1 / (NOT has_function_privilege('service_role', 'app.provider_credential(uuid, text)', 'execute'))::int;
SELECT 1 / (NOT has_function_privilege('anon', 'app.provider_credential(uuid, text)', 'execute'))::int;

ROLLBACK;

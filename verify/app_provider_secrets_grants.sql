-- Verify taproot:app_provider_secrets_grants on pg
BEGIN;

SELECT 1 / (NOT has_function_privilege('service_role', 'app.provider_secret(uuid, text)', 'execute'))::int;
SELECT 1 / has_function_privilege('worker', 'app.provider_secret(uuid, text)', 'execute')::int;

ROLLBACK;

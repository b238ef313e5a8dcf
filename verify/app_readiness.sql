-- Verify taproot:app_readiness on pg
BEGIN;

SELECT 1 / (app.readiness('{}') ? 'schema')::integer;
SELECT 1 / pg_catalog.has_function_privilege('authenticator', 'app.readiness(jsonb)', 'EXECUTE')::integer;

ROLLBACK;

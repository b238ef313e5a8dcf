-- Verify taproot:auth_schema on pg
BEGIN;

SELECT 1 / (NOT pg_catalog.has_schema_privilege('anon', 'auth', 'usage'))::int;

ROLLBACK;

-- Verify taproot:api_schema on pg
BEGIN;

SELECT 1 / (pg_catalog.has_schema_privilege('anon', 'api', 'usage'))::int;

ROLLBACK;

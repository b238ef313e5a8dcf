-- Verify taproot:app_schema on pg
BEGIN;

SELECT 1 / (pg_catalog.has_schema_privilege('authenticated', 'app', 'usage'))::int;

ROLLBACK;

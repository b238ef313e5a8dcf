-- Verify taproot:reporting_schema on pg
BEGIN;

SELECT 1 / (pg_catalog.has_schema_privilege('analyst', 'reporting', 'usage'))::int;

ROLLBACK;

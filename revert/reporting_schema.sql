-- Revert taproot:reporting_schema from pg
BEGIN;

ALTER DEFAULT PRIVILEGES IN SCHEMA reporting REVOKE SELECT ON TABLES FROM analyst;
DROP SCHEMA reporting;

COMMIT;

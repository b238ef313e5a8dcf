-- Revert taproot:app_schema from pg
BEGIN;

DROP SCHEMA app;

COMMIT;

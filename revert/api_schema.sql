-- Revert taproot:api_schema from pg
BEGIN;

DROP SCHEMA api;

COMMIT;

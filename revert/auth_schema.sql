-- Revert taproot:auth_schema from pg
BEGIN;

DROP SCHEMA auth;

COMMIT;

-- Revert taproot:procrastinate_schema from pg
BEGIN;

DROP SCHEMA procrastinate CASCADE;

COMMIT;

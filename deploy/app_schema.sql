-- Deploy taproot:app_schema to pg
-- Schema app holds private tables and SECURITY DEFINER helpers; clients never name it.
BEGIN;

CREATE SCHEMA app;
COMMENT ON SCHEMA app IS 'Private tables, permission helpers and the events outbox';
-- Policies call helpers in app; the roles need to resolve the names, grants decide the rest.
GRANT USAGE ON SCHEMA app TO anon, authenticated, service_role, worker;

COMMIT;

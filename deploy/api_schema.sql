-- Deploy taproot:api_schema to pg
-- Schema api is what the REST API exposes: only views, tables and functions meant for clients.
BEGIN;

CREATE SCHEMA api;
COMMENT ON SCHEMA api IS 'Taproot''s public REST API: tables, views and functions exposed to clients';
GRANT USAGE ON SCHEMA api TO anon, authenticated, service_role, worker;

COMMIT;

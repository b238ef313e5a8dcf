-- Deploy taproot:reporting_schema to pg
-- Schema reporting holds read-only views for analysts, with personal data masked.
BEGIN;

CREATE SCHEMA reporting;
COMMENT ON SCHEMA reporting IS 'Read-only reporting views for analysts (PII masked)';
GRANT USAGE ON SCHEMA reporting TO analyst;
ALTER DEFAULT PRIVILEGES IN SCHEMA reporting GRANT SELECT ON TABLES TO analyst;

COMMIT;

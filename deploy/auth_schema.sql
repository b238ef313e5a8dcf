-- Deploy taproot:auth_schema to pg
-- Schema auth holds credentials, sessions and the JWT signing secret. No client role may
-- read it directly; only definer functions in api reach into it.
BEGIN;

CREATE SCHEMA auth;
COMMENT ON SCHEMA auth IS 'Credentials, sessions and signing secrets (definer functions only)';
REVOKE ALL ON SCHEMA auth FROM PUBLIC;

COMMIT;

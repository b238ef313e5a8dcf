-- Revert taproot:app_readiness from pg
BEGIN;

DROP FUNCTION app.readiness(jsonb);
REVOKE USAGE ON SCHEMA app FROM authenticator;

COMMIT;

-- Revert taproot:app_provider_credentials from pg
BEGIN;

DROP FUNCTION app.provider_credential(uuid, text);

COMMIT;

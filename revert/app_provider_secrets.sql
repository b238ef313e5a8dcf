-- Revert taproot:app_provider_secrets from pg
BEGIN;

DROP FUNCTION app.provider_secret(uuid, text);
DROP FUNCTION api.set_provider_secret(uuid, text, text);
DROP FUNCTION app.secrets_key();
DROP VIEW api.provider_secrets;
DROP TABLE app.provider_secrets;

COMMIT;

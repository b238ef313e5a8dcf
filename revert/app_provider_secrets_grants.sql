-- Revert taproot:app_provider_secrets_grants from pg
BEGIN;

GRANT EXECUTE ON FUNCTION app.provider_secret(uuid, text) TO service_role;
COMMENT ON FUNCTION app.provider_secret(uuid, text) IS
    'The decrypted credential (NULL when none); worker and service role only, with app.secrets_key set';

COMMIT;

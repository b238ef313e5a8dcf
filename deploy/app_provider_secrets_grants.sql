-- Deploy taproot:app_provider_secrets_grants to pg
-- requires: app_provider_secrets
-- Only the worker decrypts provider credentials. The service role (back-office calls, and any
-- server process that switches to it with app.secrets_key set) could read every workspace's
-- plaintext keys through app.provider_secret(); it keeps setting, listing and deleting them.
BEGIN;

REVOKE EXECUTE ON FUNCTION app.provider_secret(uuid, text) FROM service_role;
COMMENT ON FUNCTION app.provider_secret(uuid, text) IS
    'The decrypted credential (NULL when none); worker only, with app.secrets_key set';

COMMIT;

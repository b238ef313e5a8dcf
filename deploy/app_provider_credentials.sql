-- Deploy taproot:app_provider_credentials to pg
-- requires: app_provider_secrets_grants, api_api_keys
-- The sidecar calls providers under the caller's role, so a writer of the workspace (or
-- its API key) may have the workspace's credential decrypted for the call, like the worker.
-- Decrypting still needs app.secrets_key, which only the sidecar and the workers hold;
-- the service role still cannot decrypt (app_provider_secrets_grants).
BEGIN;

CREATE FUNCTION app.provider_credential(p_workspace_id uuid, p_provider text)
RETURNS text
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    key text;
    secret text;
BEGIN
    IF pg_catalog.current_setting('role') NOT IN ('worker', 'authenticated', 'none') THEN
        RAISE EXCEPTION 'only the worker and the workspace''s writers read provider credentials'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    PERFORM app.check_may_run_ai(p_workspace_id);
    key := app.secrets_key();  -- PT503 without the key, whether or not a secret exists
    SELECT extensions.pgp_sym_decrypt(s.ciphertext, key) INTO secret
    FROM app.provider_secrets s
    WHERE s.workspace_id = p_workspace_id AND s.provider = p_provider;
    RETURN secret;
END
$$;
COMMENT ON FUNCTION app.provider_credential(uuid, text) IS
    'The decrypted credential of the workspace for this provider (NULL when none), for the worker and the '
    'workspace''s owners/admins/members (or its API key). Errors: 42501 not allowed; PT503 no app.secrets_key.';
GRANT EXECUTE ON FUNCTION app.provider_credential(uuid, text) TO authenticated, worker;

COMMIT;

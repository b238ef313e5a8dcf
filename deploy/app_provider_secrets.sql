-- Deploy taproot:app_provider_secrets to pg
-- requires: api_workspaces, api_users, app_permissions, app_audit_log, app_touch_updated_at, extensions
-- Per-workspace AI provider credentials, encrypted with pgp_sym_encrypt under a key the
-- server supplies at run time in the transaction setting app.secrets_key (the sidecar and
-- the workers set it with set_config(..., true)); the key is never stored in the database.
-- Clients see metadata only (api.provider_secrets); the worker decrypts through
-- app.provider_secret().
BEGIN;

CREATE TABLE app.provider_secrets (
    id           uuid PRIMARY KEY DEFAULT extensions.gen_random_uuid(),
    workspace_id uuid NOT NULL REFERENCES api.workspaces (id) ON DELETE CASCADE,
    provider     text NOT NULL
        CONSTRAINT provider_secrets_provider_format CHECK (provider ~ '^[a-z][a-z0-9_-]{0,49}$'),
    ciphertext   bytea NOT NULL,
    key_hint     text NOT NULL,
    created_by   uuid DEFAULT app.current_user_id() REFERENCES api.users (id) ON DELETE SET NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT provider_secrets_workspace_id_provider_key UNIQUE (workspace_id, provider)
);
COMMENT ON TABLE app.provider_secrets IS
    'AI provider credentials per workspace, pgp_sym_encrypt-ed with the run-time key app.secrets_key';
COMMENT ON COLUMN app.provider_secrets.key_hint IS 'The last 4 characters, to recognise a key';
CREATE INDEX provider_secrets_created_by_idx ON app.provider_secrets (created_by);

CREATE TRIGGER provider_secrets_touch_updated_at BEFORE UPDATE ON app.provider_secrets
    FOR EACH ROW EXECUTE FUNCTION app.touch_updated_at();
CREATE TRIGGER provider_secrets_audit AFTER INSERT OR UPDATE OR DELETE ON app.provider_secrets
    FOR EACH ROW EXECUTE FUNCTION app.audit_row_change('id', 'provider', 'key_hint');

ALTER TABLE app.provider_secrets ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.provider_secrets FORCE ROW LEVEL SECURITY;
-- Never the ciphertext: column privileges leave it out for every client role.
GRANT SELECT (id, workspace_id, provider, key_hint, created_by, created_at, updated_at), DELETE
    ON app.provider_secrets TO authenticated, service_role;

CREATE POLICY "admins see their workspaces' provider secrets" ON app.provider_secrets
    FOR SELECT TO authenticated
    USING (workspace_id = ANY ((SELECT app.my_workspace_ids('{owner,admin}'))::uuid[]));
CREATE POLICY "admins delete their workspaces' provider secrets" ON app.provider_secrets
    FOR DELETE TO authenticated
    USING (workspace_id = ANY ((SELECT app.my_workspace_ids('{owner,admin}'))::uuid[]));
CREATE POLICY "the service role sees all provider secrets" ON app.provider_secrets
    FOR SELECT TO service_role USING (true);
CREATE POLICY "the service role deletes provider secrets" ON app.provider_secrets
    FOR DELETE TO service_role USING (true);

CREATE VIEW api.provider_secrets WITH (security_invoker = true) AS
    SELECT id, workspace_id, provider, key_hint, created_by, created_at, updated_at
    FROM app.provider_secrets;
COMMENT ON VIEW api.provider_secrets IS
    'Which AI provider credentials a workspace has (admins and owners); set them with api.set_provider_secret';
GRANT SELECT, DELETE ON api.provider_secrets TO authenticated, service_role;

CREATE FUNCTION app.secrets_key()
RETURNS text
LANGUAGE plpgsql
STABLE
SET search_path = ''
AS $$
DECLARE
    key text := nullif(pg_catalog.current_setting('app.secrets_key', true), '');
BEGIN
    IF key IS NULL THEN
        RAISE SQLSTATE 'PT503'
            USING MESSAGE = 'provider secrets are unavailable: the server did not supply app.secrets_key',
                  HINT = 'Manage provider secrets through the AI sidecar, which holds the key.';
    END IF;
    IF pg_catalog.length(key) < 32 THEN
        RAISE EXCEPTION 'app.secrets_key must be at least 32 characters' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN key;
END
$$;
COMMENT ON FUNCTION app.secrets_key() IS 'The run-time encryption key (setting app.secrets_key); PT503 when absent';

CREATE FUNCTION api.set_provider_secret(workspace_id uuid, provider text, secret text)
RETURNS api.provider_secrets
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    stored api.provider_secrets;
BEGIN
    IF pg_catalog.current_setting('role') <> 'service_role'
       AND NOT app.has_workspace_role(set_provider_secret.workspace_id, '{owner,admin}') THEN
        RAISE EXCEPTION 'only workspace admins and owners manage provider secrets'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF set_provider_secret.secret IS NULL OR pg_catalog.length(set_provider_secret.secret) < 8 THEN
        RAISE EXCEPTION 'secret must be at least 8 characters' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    INSERT INTO app.provider_secrets AS s (workspace_id, provider, ciphertext, key_hint)
    VALUES (set_provider_secret.workspace_id, set_provider_secret.provider,
            extensions.pgp_sym_encrypt(set_provider_secret.secret, app.secrets_key(), 'cipher-algo=aes256'),
            '…' || pg_catalog.right(set_provider_secret.secret, 4))
    ON CONFLICT ON CONSTRAINT provider_secrets_workspace_id_provider_key DO UPDATE
    SET ciphertext = EXCLUDED.ciphertext, key_hint = EXCLUDED.key_hint
    RETURNING s.id, s.workspace_id, s.provider, s.key_hint, s.created_by, s.created_at, s.updated_at
    INTO stored;
    RETURN stored;
END
$$;
COMMENT ON FUNCTION api.set_provider_secret(uuid, text, text) IS
    'Store (or replace) a workspace''s credential for a provider, encrypted with app.secrets_key. '
    'Admins/owners or the service role. Errors: 42501 not allowed; 22023 short secret; 23514 bad provider name; '
    'PT503 when the server supplied no key.';
GRANT EXECUTE ON FUNCTION api.set_provider_secret(uuid, text, text) TO authenticated, service_role;

CREATE FUNCTION app.provider_secret(p_workspace_id uuid, p_provider text)
RETURNS text
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = ''
AS $$
    SELECT extensions.pgp_sym_decrypt(s.ciphertext, app.secrets_key())
    FROM app.provider_secrets s
    WHERE s.workspace_id = p_workspace_id AND s.provider = p_provider
$$;
COMMENT ON FUNCTION app.provider_secret(uuid, text) IS
    'The decrypted credential (NULL when none); worker and service role only, with app.secrets_key set';
GRANT EXECUTE ON FUNCTION app.provider_secret(uuid, text) TO worker, service_role;

COMMIT;

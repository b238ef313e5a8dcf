-- Deploy taproot:api_api_keys to pg
-- requires: api_workspaces, api_users, api_memberships, app_permissions, app_request_context, app_audit_log, extensions
-- Workspace API keys for the AI endpoints. A key (tpk_ + 40 url-safe characters) is shown
-- once, when created, and stored only as its SHA-256 digest. The sidecar exchanges it for
-- the key's workspace and creator (app.authenticate_api_key) and then runs as the creator,
-- with the claim api_key_id. Each key may carry a lifetime token budget, which the CHECK
-- constraint (not code) keeps from being overspent, and per-minute limits the sidecar
-- enforces. app.may_run_ai() is the one caller check of every AI ledger function.
BEGIN;

CREATE TABLE app.api_keys (
    id                  uuid PRIMARY KEY DEFAULT extensions.gen_random_uuid(),
    workspace_id        uuid NOT NULL REFERENCES api.workspaces (id) ON DELETE CASCADE,
    name                text NOT NULL
        CONSTRAINT api_keys_name_length CHECK (length(btrim(name)) BETWEEN 1 AND 100),
    prefix              text NOT NULL CONSTRAINT api_keys_prefix_format CHECK (prefix ~ '^tpk_[A-Za-z0-9_-]{8}$'),
    digest              bytea NOT NULL CONSTRAINT api_keys_digest_key UNIQUE
        CONSTRAINT api_keys_digest_sha256 CHECK (length(digest) = 32),
    created_by          uuid REFERENCES api.users (id) ON DELETE SET NULL,
    created_at          timestamptz NOT NULL DEFAULT now(),
    revoked_at          timestamptz,
    last_used_at        timestamptz,
    token_budget        bigint CONSTRAINT api_keys_token_budget_positive CHECK (token_budget > 0),
    tokens_used         bigint NOT NULL DEFAULT 0 CONSTRAINT api_keys_tokens_used_positive CHECK (tokens_used >= 0),
    tokens_reserved     bigint NOT NULL DEFAULT 0
        CONSTRAINT api_keys_tokens_reserved_positive CHECK (tokens_reserved >= 0),
    requests_per_minute integer CONSTRAINT api_keys_requests_per_minute_positive CHECK (requests_per_minute > 0),
    tokens_per_minute   integer CONSTRAINT api_keys_tokens_per_minute_positive CHECK (tokens_per_minute > 0),
    -- The budget guard: no update, however concurrent, can commit past the budget.
    CONSTRAINT api_keys_within_token_budget
        CHECK (token_budget IS NULL OR tokens_used + tokens_reserved <= token_budget)
);
COMMENT ON TABLE app.api_keys IS
    'Workspace API keys (SHA-256 digests only) with an optional lifetime token budget and per-minute limits';
COMMENT ON COLUMN app.api_keys.prefix IS 'The first 12 characters of the key, to recognise it';
CREATE INDEX api_keys_workspace_id_created_at_idx ON app.api_keys (workspace_id, created_at DESC);
CREATE INDEX api_keys_created_by_idx ON app.api_keys (created_by);

-- Audit what admins do (create, revoke, delete), not the counters every call moves.
CREATE TRIGGER api_keys_audit AFTER INSERT OR DELETE ON app.api_keys
    FOR EACH ROW EXECUTE FUNCTION app.audit_row_change('id', 'name', 'prefix', 'token_budget');
CREATE TRIGGER api_keys_audit_changes AFTER UPDATE ON app.api_keys
    FOR EACH ROW
    WHEN (OLD.revoked_at IS DISTINCT FROM NEW.revoked_at OR OLD.name IS DISTINCT FROM NEW.name
          OR OLD.token_budget IS DISTINCT FROM NEW.token_budget
          OR OLD.requests_per_minute IS DISTINCT FROM NEW.requests_per_minute
          OR OLD.tokens_per_minute IS DISTINCT FROM NEW.tokens_per_minute)
    EXECUTE FUNCTION app.audit_row_change('id', 'name', 'prefix', 'revoked_at', 'token_budget',
                                          'requests_per_minute', 'tokens_per_minute');

ALTER TABLE app.api_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.api_keys FORCE ROW LEVEL SECURITY;
-- Never the digest: column privileges leave it out for every client role.
GRANT SELECT (id, workspace_id, name, prefix, created_by, created_at, revoked_at, last_used_at,
              token_budget, tokens_used, tokens_reserved, requests_per_minute, tokens_per_minute)
    ON app.api_keys TO authenticated, service_role;
CREATE POLICY "admins see their workspaces' API keys" ON app.api_keys
    FOR SELECT TO authenticated
    USING (workspace_id = ANY ((SELECT app.my_workspace_ids('{owner,admin}'))::uuid[]));
CREATE POLICY "the service role sees all API keys" ON app.api_keys
    FOR SELECT TO service_role USING (true);

CREATE VIEW api.api_keys WITH (security_invoker = true) AS
    SELECT id, workspace_id, name, prefix, created_by, created_at, revoked_at, last_used_at,
           token_budget, tokens_used, tokens_reserved, requests_per_minute, tokens_per_minute
    FROM app.api_keys;
COMMENT ON VIEW api.api_keys IS
    'A workspace''s API keys without their secret (owners and admins); create with api.create_api_key, '
    'revoke with api.revoke_api_key';
GRANT SELECT ON api.api_keys TO authenticated, service_role;

CREATE FUNCTION app.current_api_key_id()
RETURNS uuid
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = ''
AS $$
    SELECT nullif(nullif(pg_catalog.current_setting('request.jwt.claims', true), '')::jsonb
                  ->> 'api_key_id', '')::uuid
$$;
COMMENT ON FUNCTION app.current_api_key_id() IS
    'The API key the sidecar authenticated this call with (claim api_key_id), NULL otherwise';
GRANT EXECUTE ON FUNCTION app.current_api_key_id() TO authenticated, service_role, worker;

-- The caller check of the AI ledger (usage, budgets, cache, credentials). The worker runs
-- jobs already authorized when they were queued; the owner (no SET ROLE) is trusted. A
-- signed-in user needs owner/admin/member in the workspace; a call made with an API key
-- only reaches the key's own workspace, while the key is live and its creator still a
-- writer there.
CREATE FUNCTION app.may_run_ai(p_workspace_id uuid)
RETURNS boolean
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = ''
AS $$
    SELECT CASE
        WHEN pg_catalog.current_setting('role') IN ('worker', 'none') THEN p_workspace_id IS NOT NULL
        WHEN pg_catalog.current_setting('role') <> 'authenticated' THEN false
        WHEN app.current_api_key_id() IS NOT NULL THEN EXISTS (
            SELECT 1
            FROM app.api_keys k
            JOIN api.memberships m ON m.workspace_id = k.workspace_id AND m.user_id = k.created_by
            WHERE k.id = app.current_api_key_id() AND k.workspace_id = p_workspace_id
              AND k.revoked_at IS NULL AND k.created_by = app.current_user_id()
              AND m.role IN ('owner', 'admin', 'member'))
        ELSE app.has_workspace_role(p_workspace_id, '{owner,admin,member}')
    END
$$;
COMMENT ON FUNCTION app.may_run_ai(uuid) IS
    'May the caller spend AI in this workspace? Worker: yes; user: owner/admin/member; API key: its workspace only';
GRANT EXECUTE ON FUNCTION app.may_run_ai(uuid) TO authenticated, worker;

CREATE FUNCTION app.check_may_run_ai(p_workspace_id uuid)
RETURNS void
LANGUAGE plpgsql
STABLE
SET search_path = ''
AS $$
BEGIN
    IF NOT app.may_run_ai(p_workspace_id) THEN
        RAISE EXCEPTION 'only owners, admins and members of the workspace (or its API keys) can use its AI'
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'Sign in as a member of the workspace, or use an API key of that workspace.';
    END IF;
END
$$;
COMMENT ON FUNCTION app.check_may_run_ai(uuid) IS 'Raise 42501 unless app.may_run_ai(workspace)';

CREATE FUNCTION app.check_manages_api_keys(p_workspace_id uuid)
RETURNS void
LANGUAGE plpgsql
STABLE
SET search_path = ''
AS $$
BEGIN
    IF app.current_api_key_id() IS NOT NULL THEN
        RAISE EXCEPTION 'API keys cannot manage API keys'
            USING ERRCODE = 'insufficient_privilege', HINT = 'Sign in as a workspace owner or admin.';
    END IF;
    IF NOT app.has_workspace_role(p_workspace_id, '{owner,admin}') THEN
        RAISE EXCEPTION 'only workspace owners and admins manage API keys'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
END
$$;
COMMENT ON FUNCTION app.check_manages_api_keys(uuid) IS
    'Raise 42501 unless the caller signed in (not with an API key) as owner/admin of the workspace';

CREATE FUNCTION api.create_api_key(workspace_id uuid, name text, token_budget bigint DEFAULT NULL,
                                   requests_per_minute integer DEFAULT NULL,
                                   tokens_per_minute integer DEFAULT NULL)
RETURNS json
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    new_key text;
    stored  app.api_keys;
BEGIN
    PERFORM app.check_manages_api_keys(create_api_key.workspace_id);
    -- 30 random bytes are exactly 40 base64 characters, made url-safe.
    new_key := 'tpk_' || pg_catalog.translate(
        pg_catalog.encode(extensions.gen_random_bytes(30), 'base64'), '+/', '-_');
    INSERT INTO app.api_keys (workspace_id, name, prefix, digest, created_by, token_budget,
                              requests_per_minute, tokens_per_minute)
    VALUES (create_api_key.workspace_id, pg_catalog.btrim(create_api_key.name),
            pg_catalog.left(new_key, 12), extensions.digest(new_key, 'sha256'), app.current_user_id(),
            create_api_key.token_budget, create_api_key.requests_per_minute,
            create_api_key.tokens_per_minute)
    RETURNING * INTO stored;
    RETURN pg_catalog.json_build_object(
        'id', stored.id, 'key', new_key, 'prefix', stored.prefix, 'name', stored.name,
        'workspace_id', stored.workspace_id, 'token_budget', stored.token_budget,
        'requests_per_minute', stored.requests_per_minute,
        'tokens_per_minute', stored.tokens_per_minute, 'created_at', stored.created_at);
END
$$;
COMMENT ON FUNCTION api.create_api_key(uuid, text, bigint, integer, integer) IS
    'Create a workspace API key (owners/admins); the returned "key" is shown this once and stored '
    'only as its digest. Errors: 42501 not allowed; 23514 blank name or non-positive limits.';
GRANT EXECUTE ON FUNCTION api.create_api_key(uuid, text, bigint, integer, integer) TO authenticated;

CREATE FUNCTION api.revoke_api_key(id uuid)
RETURNS json
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    key_workspace uuid;
    revoked       app.api_keys;
BEGIN
    SELECT k.workspace_id INTO key_workspace FROM app.api_keys k WHERE k.id = revoke_api_key.id;
    IF NOT FOUND OR NOT (key_workspace = ANY (app.my_workspace_ids())) THEN
        RAISE SQLSTATE 'PT404' USING MESSAGE = 'API key not found',
            HINT = 'Check the id; keys of workspaces you do not belong to are not visible.';
    END IF;
    PERFORM app.check_manages_api_keys(key_workspace);
    UPDATE app.api_keys k SET revoked_at = coalesce(k.revoked_at, pg_catalog.now())
    WHERE k.id = revoke_api_key.id
    RETURNING * INTO revoked;
    RETURN pg_catalog.json_build_object(
        'id', revoked.id, 'prefix', revoked.prefix, 'name', revoked.name,
        'workspace_id', revoked.workspace_id, 'revoked_at', revoked.revoked_at);
END
$$;
COMMENT ON FUNCTION api.revoke_api_key(uuid) IS
    'Revoke an API key at once (owners/admins; revoking again keeps the first time). '
    'Errors: PT404 unknown or invisible key; 42501 not an owner/admin.';
GRANT EXECUTE ON FUNCTION api.revoke_api_key(uuid) TO authenticated;

CREATE FUNCTION app.authenticate_api_key(p_key text)
RETURNS TABLE (key_id uuid, workspace_id uuid, user_id uuid, requests_per_minute integer,
               tokens_per_minute integer)
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    found_key app.api_keys;
BEGIN
    IF p_key IS NULL OR p_key !~ '^tpk_[A-Za-z0-9_-]{40}$' THEN
        RETURN;
    END IF;
    SELECT k.* INTO found_key
    FROM app.api_keys k
    JOIN api.memberships m ON m.workspace_id = k.workspace_id AND m.user_id = k.created_by
    WHERE k.digest = extensions.digest(p_key, 'sha256') AND k.revoked_at IS NULL
      AND m.role IN ('owner', 'admin', 'member');
    IF NOT FOUND THEN
        RETURN;
    END IF;
    -- At most one write a minute per key, so a busy key does not serialize on its row.
    UPDATE app.api_keys k SET last_used_at = pg_catalog.now()
    WHERE k.id = found_key.id
      AND (k.last_used_at IS NULL OR k.last_used_at < pg_catalog.now() - interval '1 minute');
    RETURN QUERY SELECT found_key.id, found_key.workspace_id, found_key.created_by,
                        found_key.requests_per_minute, found_key.tokens_per_minute;
END
$$;
COMMENT ON FUNCTION app.authenticate_api_key(text) IS
    'The live key with this secret (its workspace, creator and limits), or no row: unknown, revoked, '
    'or its creator no longer a writer in the workspace (answer 401)';
GRANT EXECUTE ON FUNCTION app.authenticate_api_key(text) TO anon, authenticated;

COMMIT;

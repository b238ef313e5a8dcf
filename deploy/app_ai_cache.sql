-- Deploy taproot:app_ai_cache to pg
-- requires: api_workspaces, api_api_keys
-- Exact-match response cache, per workspace and never shared across tenants: the key is a
-- hex SHA-256 the caller computes over the normalized request, always looked up together
-- with the workspace the caller may use. UNLOGGED: losing it in a crash costs only misses.
-- Clients reach it only through the definer functions below.
BEGIN;

CREATE UNLOGGED TABLE app.ai_cache (
    workspace_id uuid NOT NULL REFERENCES api.workspaces (id) ON DELETE CASCADE,
    key          text NOT NULL CONSTRAINT ai_cache_key_sha256_hex CHECK (key ~ '^[0-9a-f]{64}$'),
    response     jsonb NOT NULL
        CONSTRAINT ai_cache_response_size CHECK (octet_length(response::text) <= 1048576),
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    hits         integer NOT NULL DEFAULT 0 CONSTRAINT ai_cache_hits_positive CHECK (hits >= 0),
    PRIMARY KEY (workspace_id, key)
);
COMMENT ON TABLE app.ai_cache IS
    'Cached AI responses per workspace and request hash (UNLOGGED; responses up to 1 MB); '
    'use app.cache_lookup / app.cache_store';
CREATE INDEX ai_cache_expires_at_idx ON app.ai_cache (expires_at);

-- No grants, no policies: RLS forced so that nothing but the owner's functions reads it.
ALTER TABLE app.ai_cache ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.ai_cache FORCE ROW LEVEL SECURITY;

CREATE FUNCTION app.cache_lookup(p_workspace_id uuid, p_key text)
RETURNS jsonb
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    cached jsonb;
BEGIN
    PERFORM app.check_may_run_ai(p_workspace_id);
    UPDATE app.ai_cache c SET hits = c.hits + 1
    WHERE c.workspace_id = p_workspace_id AND c.key = p_key AND c.expires_at > pg_catalog.now()
    RETURNING c.response INTO cached;
    RETURN cached;
END
$$;
COMMENT ON FUNCTION app.cache_lookup(uuid, text) IS
    'The cached response for this workspace and key (counting the hit), NULL on a miss or when expired. '
    'Errors: 42501 caller may not use AI in the workspace.';
GRANT EXECUTE ON FUNCTION app.cache_lookup(uuid, text) TO authenticated, worker;

CREATE FUNCTION app.cache_store(p_workspace_id uuid, p_key text, p_response jsonb, p_ttl_seconds integer)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = ''
AS $$
BEGIN
    PERFORM app.check_may_run_ai(p_workspace_id);
    IF p_key IS NULL OR p_key !~ '^[0-9a-f]{64}$' THEN
        RAISE EXCEPTION 'a cache key is a lower-case hex SHA-256 (64 characters)'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF p_ttl_seconds IS NULL OR p_ttl_seconds NOT BETWEEN 1 AND 30 * 86400 THEN
        RAISE EXCEPTION 'a cache entry lives between 1 second and 30 days (got % seconds)', p_ttl_seconds
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF p_response IS NULL OR pg_catalog.octet_length(p_response::text) > 1048576 THEN
        RETURN;  -- not worth caching: the caller has its answer anyway
    END IF;
    INSERT INTO app.ai_cache AS c (workspace_id, key, response, expires_at)
    VALUES (p_workspace_id, p_key, p_response, pg_catalog.now() + pg_catalog.make_interval(secs => p_ttl_seconds))
    ON CONFLICT (workspace_id, key) DO UPDATE
    SET response = EXCLUDED.response, created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at,
        hits = 0;
END
$$;
COMMENT ON FUNCTION app.cache_store(uuid, text, jsonb, integer) IS
    'Store (or replace) a response for this workspace and key for p_ttl_seconds; responses over 1 MB are '
    'not cached. Errors: 42501 caller may not use AI in the workspace; 22023 bad key or ttl.';
GRANT EXECUTE ON FUNCTION app.cache_store(uuid, text, jsonb, integer) TO authenticated, worker;

CREATE FUNCTION app.cache_prune()
RETURNS integer
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    pruned integer;
BEGIN
    DELETE FROM app.ai_cache c WHERE c.expires_at <= pg_catalog.now();
    GET DIAGNOSTICS pruned = ROW_COUNT;
    RETURN pruned;
END
$$;
COMMENT ON FUNCTION app.cache_prune() IS 'Delete expired cache entries; returns how many. For a periodic worker job.';
GRANT EXECUTE ON FUNCTION app.cache_prune() TO worker;

COMMIT;

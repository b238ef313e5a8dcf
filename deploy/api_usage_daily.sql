-- Deploy taproot:api_usage_daily to pg
-- requires: api_workspaces, app_permissions
-- Usage per workspace and UTC day (requests, tokens, cost), kept by triggers on AI requests,
-- and the daily token quota check (api.workspaces.daily_token_quota).
BEGIN;

CREATE TABLE api.usage_daily (
    workspace_id uuid NOT NULL REFERENCES api.workspaces (id) ON DELETE CASCADE,
    day          date NOT NULL,
    requests     integer NOT NULL DEFAULT 0 CONSTRAINT usage_daily_requests_positive CHECK (requests >= 0),
    tokens_in    bigint NOT NULL DEFAULT 0 CONSTRAINT usage_daily_tokens_in_positive CHECK (tokens_in >= 0),
    tokens_out   bigint NOT NULL DEFAULT 0 CONSTRAINT usage_daily_tokens_out_positive CHECK (tokens_out >= 0),
    cost         numeric(14, 6) NOT NULL DEFAULT 0 CONSTRAINT usage_daily_cost_positive CHECK (cost >= 0),
    cache_hits   integer NOT NULL DEFAULT 0 CONSTRAINT usage_daily_cache_hits_positive CHECK (cache_hits >= 0),
    PRIMARY KEY (workspace_id, day)
);
COMMENT ON TABLE api.usage_daily IS
    'Per workspace and UTC day: AI requests made, tokens in/out, cost, cache hits (kept by triggers)';

CREATE FUNCTION app.record_usage(p_workspace_id uuid, p_requests integer, p_tokens_in bigint,
                                 p_tokens_out bigint, p_cost numeric, p_cache_hits integer)
RETURNS void
LANGUAGE sql
VOLATILE
SECURITY DEFINER
SET search_path = ''
AS $$
    INSERT INTO api.usage_daily AS u (workspace_id, day, requests, tokens_in, tokens_out, cost, cache_hits)
    VALUES (p_workspace_id, (pg_catalog.now() AT TIME ZONE 'UTC')::date, p_requests, p_tokens_in,
            p_tokens_out, p_cost, p_cache_hits)
    ON CONFLICT (workspace_id, day) DO UPDATE
    SET requests = u.requests + EXCLUDED.requests, tokens_in = u.tokens_in + EXCLUDED.tokens_in,
        tokens_out = u.tokens_out + EXCLUDED.tokens_out, cost = u.cost + EXCLUDED.cost,
        cache_hits = u.cache_hits + EXCLUDED.cache_hits;
$$;
COMMENT ON FUNCTION app.record_usage(uuid, integer, bigint, bigint, numeric, integer) IS
    'Add to today''s (UTC) usage of a workspace';

CREATE FUNCTION app.check_token_quota(p_workspace_id uuid)
RETURNS void
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    quota bigint;
    used  bigint;
BEGIN
    SELECT w.daily_token_quota INTO quota FROM api.workspaces w WHERE w.id = p_workspace_id;
    SELECT coalesce(pg_catalog.sum(u.tokens_in + u.tokens_out), 0) INTO used
    FROM api.usage_daily u
    WHERE u.workspace_id = p_workspace_id AND u.day = (pg_catalog.now() AT TIME ZONE 'UTC')::date;
    IF used >= quota THEN
        RAISE SQLSTATE 'PT429'
            USING MESSAGE = pg_catalog.format('the workspace has used its daily token quota (%s of %s tokens)',
                                              used, quota),
                  HINT = 'Try again tomorrow (UTC), or ask for a higher quota.';
    END IF;
END
$$;
COMMENT ON FUNCTION app.check_token_quota(uuid) IS
    'Raise PT429 (HTTP 429) when the workspace has used today''s token quota';
GRANT EXECUTE ON FUNCTION app.check_token_quota(uuid) TO worker, service_role;

ALTER TABLE api.usage_daily ENABLE ROW LEVEL SECURITY;
ALTER TABLE api.usage_daily FORCE ROW LEVEL SECURITY;
GRANT SELECT ON api.usage_daily TO authenticated, service_role, worker;
CREATE POLICY "members read their workspaces' usage" ON api.usage_daily
    FOR SELECT TO authenticated
    USING (workspace_id = ANY ((SELECT app.my_workspace_ids())::uuid[]));
CREATE POLICY "the service role reads all usage" ON api.usage_daily
    FOR SELECT TO service_role USING (true);
CREATE POLICY "the worker reads all usage" ON api.usage_daily
    FOR SELECT TO worker USING (true);

COMMIT;

-- Deploy taproot:app_begin_ai_call to pg
-- requires: app_ai_budgets, api_ai_usage, app_ai_cache, app_rate_limits, api_ai_routes
-- Everything an AI call needs before its provider call, in ONE statement and one
-- transaction: app.begin_ai_call() checks the caller once (app.may_run_ai), returns whether
-- the caller manages the workspace, the workspace's routes for the model, the cached answer
-- (when a cache key is given) and, on a miss, takes the API key's per-minute rate and
-- reserves the budget. It was four transactions (rights and routes, cache lookup, rate and
-- reservation), each checking the caller again.
--
-- The cache key. The sidecar keys its entries on the model's first route (what the answer
-- really came from), which only this statement knows: the caller passes a digest of the
-- request (model name, messages, parameters) and the entry's key is
-- sha256(digest || '/' || the first route's upstream model, or the model itself when the
-- workspace has no route for it), returned as cache_key for the store after the call. So a
-- workspace that re-routes a model never gets answers cached from the previous upstream.
--
-- Commits. On a miss the transaction holds the hot rows (today's usage_daily row, the key),
-- so it commits asynchronously, as app.reserve_budget's always did: the statement writes
-- nothing that needs durability (a reservation, the UNLOGGED rate and cache rows).
BEGIN;

-- The reservation itself, without the caller check: internal, for app.reserve_budget and
-- app.begin_ai_call, which check the caller first. No grant (owner only).
CREATE FUNCTION app.hold_budget(p_workspace_id uuid, p_api_key_id uuid, p_tokens bigint, p_request_id uuid,
                                p_ttl interval)
RETURNS uuid
LANGUAGE plpgsql
VOLATILE
SET search_path = ''
AS $$
DECLARE
    today    date := (pg_catalog.now() AT TIME ZONE 'UTC')::date;
    key_id   uuid := coalesce(p_api_key_id, app.current_api_key_id());
    held     bigint;
    quota    bigint;
    budget   bigint;
    reserved uuid;
BEGIN
    IF app.current_api_key_id() IS NOT NULL AND key_id <> app.current_api_key_id() THEN
        RAISE EXCEPTION 'a call made with an API key reserves on that key''s budget only'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF p_tokens IS NULL OR p_tokens <= 0 THEN
        RAISE EXCEPTION 'a reservation needs a positive number of tokens (got %)', p_tokens
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF p_ttl IS NULL OR p_ttl <= interval '0' OR p_ttl > interval '1 day' THEN
        RAISE EXCEPTION 'a reservation must expire within a day (got %)', p_ttl
            USING ERRCODE = 'invalid_parameter_value';
    END IF;

    -- The workspace's daily quota, on today's row (created first so the UPDATE has a row to lock).
    INSERT INTO api.usage_daily (workspace_id, day) VALUES (p_workspace_id, today)
    ON CONFLICT (workspace_id, day) DO NOTHING;
    UPDATE api.usage_daily u SET tokens_reserved = u.tokens_reserved + p_tokens
    FROM api.workspaces w
    WHERE w.id = u.workspace_id AND u.workspace_id = p_workspace_id AND u.day = today
      AND u.tokens_in + u.tokens_out + u.tokens_reserved + p_tokens <= w.daily_token_quota
    RETURNING u.tokens_reserved INTO held;
    IF NOT FOUND THEN
        SELECT u.tokens_in + u.tokens_out + u.tokens_reserved, w.daily_token_quota INTO held, quota
        FROM api.usage_daily u JOIN api.workspaces w ON w.id = u.workspace_id
        WHERE u.workspace_id = p_workspace_id AND u.day = today;
        RAISE SQLSTATE 'PT429'
            USING MESSAGE = pg_catalog.format(
                      'the workspace''s daily token quota is exhausted: %s of %s tokens used or reserved today, %s more requested',
                      held, quota, p_tokens),
                  DETAIL = 'budget_exhausted',
                  HINT = 'Try again tomorrow (UTC), ask for a higher quota, or request fewer tokens (max_tokens).';
    END IF;

    -- The API key's lifetime budget (the key's CHECK constraint backs this up).
    IF key_id IS NOT NULL THEN
        UPDATE app.api_keys k SET tokens_reserved = k.tokens_reserved + p_tokens
        WHERE k.id = key_id AND k.workspace_id = p_workspace_id AND k.revoked_at IS NULL
          AND (k.token_budget IS NULL OR k.tokens_used + k.tokens_reserved + p_tokens <= k.token_budget)
        RETURNING k.tokens_reserved INTO held;
        IF NOT FOUND THEN
            SELECT k.tokens_used + k.tokens_reserved, k.token_budget INTO held, budget
            FROM app.api_keys k
            WHERE k.id = key_id AND k.workspace_id = p_workspace_id AND k.revoked_at IS NULL;
            IF NOT FOUND THEN
                RAISE EXCEPTION 'the API key is revoked or belongs to another workspace'
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
            RAISE SQLSTATE 'PT429'
                USING MESSAGE = pg_catalog.format(
                          'the API key''s token budget is exhausted: %s of %s tokens used or reserved, %s more requested',
                          held, budget, p_tokens),
                      DETAIL = 'budget_exhausted',
                      HINT = 'Ask a workspace admin for a key with a larger budget, or request fewer tokens (max_tokens).';
        END IF;
    END IF;

    INSERT INTO app.budget_reservations (workspace_id, day, api_key_id, tokens, request_id, expires_at)
    VALUES (p_workspace_id, today, key_id, p_tokens, p_request_id, pg_catalog.now() + p_ttl)
    RETURNING id INTO reserved;
    RETURN reserved;
END
$$;
REVOKE ALL ON FUNCTION app.hold_budget(uuid, uuid, bigint, uuid, interval) FROM PUBLIC;
COMMENT ON FUNCTION app.hold_budget(uuid, uuid, bigint, uuid, interval) IS
    'Internal (no caller check; callers check app.may_run_ai first): hold p_tokens against today''s workspace '
    'quota and the API key''s budget; returns the reservation id. Errors as app.reserve_budget.';

-- Same contract as before; the body moved to app.hold_budget.
CREATE OR REPLACE FUNCTION app.reserve_budget(p_workspace_id uuid, p_api_key_id uuid, p_tokens bigint,
                                              p_request_id uuid DEFAULT NULL,
                                              p_ttl interval DEFAULT '15 minutes')
RETURNS uuid
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = ''
AS $$
BEGIN
    -- Asynchronous commit (hot rows; see app_ai_budgets for why that is safe).
    PERFORM app.commit_asynchronously();
    PERFORM app.check_may_run_ai(p_workspace_id);
    RETURN app.hold_budget(p_workspace_id, p_api_key_id, p_tokens, p_request_id, p_ttl);
END
$$;

CREATE FUNCTION app.begin_ai_call(p_workspace_id uuid, p_model text, p_cache_key text, p_reserve_tokens bigint,
                                  p_input_tokens integer, p_request_id uuid, p_ttl interval)
RETURNS jsonb
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    manages  boolean;
    routes   jsonb;
    upstream text;
    entry    text;
    cached   jsonb;
    rate     record;
BEGIN
    -- The one caller check of the call. Refused: {"allowed": false}, nothing else read.
    IF NOT coalesce(app.may_run_ai(p_workspace_id), false) THEN
        RETURN '{"allowed": false}'::jsonb;
    END IF;
    manages := app.has_workspace_role(p_workspace_id, '{owner,admin}');
    -- The routes as the members' policy on api.ai_routes shows them: may_run_ai has just
    -- established that the caller is an owner, admin or member of this workspace (or a live
    -- key of one), and the policy lets exactly those read all its routes.
    SELECT coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
               'model', r.model, 'credential', r.credential,
               'upstream_model', coalesce(r.upstream_model, r.model)) ORDER BY r.position), '[]'::jsonb)
    INTO routes
    FROM api.ai_routes r WHERE r.workspace_id = p_workspace_id AND r.model = p_model;

    IF p_cache_key IS NOT NULL THEN
        upstream := coalesce(routes -> 0 ->> 'upstream_model', p_model);
        entry := pg_catalog.encode(pg_catalog.sha256(pg_catalog.convert_to(p_cache_key || '/' || upstream, 'UTF8')),
                                   'hex');
        UPDATE app.ai_cache c SET hits = c.hits + 1
        WHERE c.workspace_id = p_workspace_id AND c.key = entry AND c.expires_at > pg_catalog.now()
        RETURNING c.response INTO cached;
        IF cached IS NOT NULL THEN
            RETURN pg_catalog.jsonb_build_object('allowed', true, 'manages', manages, 'routes', routes,
                                                 'cache_key', entry, 'cached', cached);
        END IF;
    END IF;

    -- A miss: the key's per-minute limits (refused: nothing reserved, the caller answers 429),
    -- then the reservation.
    IF app.current_api_key_id() IS NOT NULL THEN
        SELECT t.retry_after, t.limit_name INTO rate
        FROM app.take_api_key_rate(coalesce(p_input_tokens, p_reserve_tokens::integer)) t;
        IF rate.retry_after > 0 THEN
            RETURN pg_catalog.jsonb_build_object('allowed', true, 'manages', manages, 'routes', routes,
                                                 'cache_key', entry, 'retry_after', rate.retry_after,
                                                 'limit_name', rate.limit_name);
        END IF;
    END IF;
    PERFORM app.commit_asynchronously();
    RETURN pg_catalog.jsonb_build_object(
        'allowed', true, 'manages', manages, 'routes', routes, 'cache_key', entry,
        'reservation_id', app.hold_budget(p_workspace_id, app.current_api_key_id(), p_reserve_tokens,
                                          p_request_id, p_ttl));
END
$$;
COMMENT ON FUNCTION app.begin_ai_call(uuid, text, text, bigint, integer, uuid, interval) IS
    'Before an AI call, in one statement: {"allowed": false} unless app.may_run_ai; else manages, the routes of '
    'p_model (in fallback order), cache_key (when p_cache_key, a digest of the request, is given) and either '
    'cached (a hit: nothing reserved), or retry_after and limit_name (the API key''s per-minute limit refused it), '
    'or reservation_id (p_reserve_tokens held, the key''s rate taken with p_input_tokens). Commits asynchronously '
    'on a miss. Errors as app.reserve_budget: PT429 budget_exhausted, 22023 bad tokens/ttl.';
GRANT EXECUTE ON FUNCTION app.begin_ai_call(uuid, text, text, bigint, integer, uuid, interval) TO authenticated;

COMMIT;

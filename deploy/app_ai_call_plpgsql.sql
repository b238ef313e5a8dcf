-- Deploy taproot:app_ai_call_plpgsql to pg
-- requires: app_begin_ai_call, api_ai_usage, app_ai_prices, api_api_keys
-- Less PostgreSQL CPU per AI call, same answers. Measured (pg_stat_statements with
-- track = all, bench/ai_cpu.py): of ~2.8 ms of SQL per chat call, most went to planning
-- the bodies of small LANGUAGE sql helpers again and again. A SQL function with SECURITY
-- DEFINER or SET search_path is never inlined, and its body is parsed and planned afresh
-- for every statement that calls it (the plan lives only as long as the calling
-- statement's executor): app.may_run_ai cost ~110-190 us a call even where its CASE takes
-- the first branch, app.current_api_key_id ~12 us (called ~24 times per chat call),
-- app.ai_cost's price lookup once per ledger insert. PL/pgSQL keeps each statement's plan
-- for the session, so the same helpers in PL/pgSQL cost a few microseconds.
-- So: app.current_api_key_id, app.may_run_ai and app.ai_cost keep their signatures,
-- rights and results and become PL/pgSQL; app.begin_ai_call and app.record_ai_usage read
-- the claims once (no app.has_workspace_role / app.current_user_id calls of their own).
-- The helpers the rest of the schema's policies use (app.current_user_id,
-- app.has_workspace_role, app.my_workspace_ids) are left as they are.
BEGIN;

CREATE OR REPLACE FUNCTION app.current_api_key_id()
RETURNS uuid
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = ''
AS $$
BEGIN
    RETURN nullif(nullif(pg_catalog.current_setting('request.jwt.claims', true), '')::jsonb
                  ->> 'api_key_id', '')::uuid;
END
$$;

-- As before: the worker and the owner (no SET ROLE) are trusted; a signed-in user needs
-- owner/admin/member in the workspace; a call made with an API key reaches only the key's
-- own workspace, while the key is live and its creator (the caller) still a writer there.
CREATE OR REPLACE FUNCTION app.may_run_ai(p_workspace_id uuid)
RETURNS boolean
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    acting  text := pg_catalog.current_setting('role');
    claims  jsonb;
    caller_key  uuid;
    caller_user uuid;
BEGIN
    IF acting IN ('worker', 'none') THEN
        RETURN p_workspace_id IS NOT NULL;
    ELSIF acting <> 'authenticated' THEN
        RETURN false;
    END IF;
    -- The claims as app.current_api_key_id() and app.current_user_id() read them.
    claims := nullif(pg_catalog.current_setting('request.jwt.claims', true), '')::jsonb;
    caller_key := nullif(claims ->> 'api_key_id', '')::uuid;
    caller_user := nullif(claims ->> 'sub', '')::uuid;
    IF caller_key IS NOT NULL THEN
        RETURN EXISTS (
            SELECT 1
            FROM app.api_keys k
            JOIN api.memberships m ON m.workspace_id = k.workspace_id AND m.user_id = k.created_by
            WHERE k.id = caller_key AND k.workspace_id = p_workspace_id
              AND k.revoked_at IS NULL AND k.created_by = caller_user
              AND m.role IN ('owner', 'admin', 'member'));
    END IF;
    RETURN EXISTS (
        SELECT 1 FROM api.memberships m
        WHERE m.workspace_id = p_workspace_id AND m.user_id = caller_user
          AND m.role IN ('owner', 'admin', 'member'));
END
$$;

-- Invoker rights, as before: prices are readable by every role that may call it.
CREATE OR REPLACE FUNCTION app.ai_cost(p_provider text, p_model text, p_at timestamptz, p_input bigint,
                                       p_output bigint, p_cached_input bigint, p_cache_write bigint)
RETURNS numeric(12, 6)
LANGUAGE plpgsql
STABLE
SET search_path = ''
AS $$
DECLARE
    price app.ai_prices;
BEGIN
    SELECT p.* INTO price
    FROM app.ai_prices p
    WHERE p.provider = p_provider AND p.model = p_model AND p.effective_from <= p_at
    ORDER BY p.effective_from DESC
    LIMIT 1;
    IF NOT FOUND THEN
        RETURN 0::numeric(12, 6);
    END IF;
    RETURN round((greatest(coalesce(p_input, 0) - coalesce(p_cached_input, 0) - coalesce(p_cache_write, 0), 0)
                      * price.input_per_mtok
                  + coalesce(p_cached_input, 0) * coalesce(price.cached_input_per_mtok, price.input_per_mtok)
                  + coalesce(p_cache_write, 0) * coalesce(price.cache_write_per_mtok, price.input_per_mtok)
                  + coalesce(p_output, 0) * price.output_per_mtok) / 1000000, 6)::numeric(12, 6);
END
$$;

CREATE OR REPLACE FUNCTION app.begin_ai_call(p_workspace_id uuid, p_model text, p_cache_key text,
                                             p_reserve_tokens bigint, p_input_tokens integer,
                                             p_request_id uuid, p_ttl interval)
RETURNS jsonb
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    claims   jsonb := nullif(pg_catalog.current_setting('request.jwt.claims', true), '')::jsonb;
    key_id   uuid := nullif(claims ->> 'api_key_id', '')::uuid;
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
    -- manages: the caller is an owner or admin here (read inline, not through a SQL helper).
    manages := EXISTS (
        SELECT 1 FROM api.memberships m
        WHERE m.workspace_id = p_workspace_id AND m.user_id = nullif(claims ->> 'sub', '')::uuid
          AND m.role IN ('owner', 'admin'));
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
    IF key_id IS NOT NULL THEN
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
        'reservation_id', app.hold_budget(p_workspace_id, key_id, p_reserve_tokens, p_request_id, p_ttl));
END
$$;

CREATE OR REPLACE FUNCTION app.record_ai_usage(p_workspace_id uuid, p_request_id uuid, p_reservation_id uuid,
                                               p_endpoint text, p_provider text, p_model text,
                                               p_upstream_model text, p_input integer, p_output integer,
                                               p_cached_input integer, p_cache_write integer,
                                               p_reasoning integer, p_cache_hit boolean, p_estimated boolean,
                                               p_status text, p_latency_ms integer)
RETURNS api.ai_usage
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    claims    jsonb := nullif(pg_catalog.current_setting('request.jwt.claims', true), '')::jsonb;
    held      app.budget_reservations;
    requester uuid;
    key_id    uuid;
    recorded  api.ai_usage;
BEGIN
    PERFORM app.check_may_run_ai(p_workspace_id);
    -- The bill is durable: this transaction's COMMIT waits for the WAL flush, even if something
    -- earlier in it (or the session's default) asked for an asynchronous commit, and
    -- app.commit_asynchronously() leaves it so for the rest of the transaction. (Back to the
    -- session's default when that waits, e.g. remote_apply; else 'on'.)
    PERFORM pg_catalog.set_config('app.ai_ledger_written', 'on', true);
    IF pg_catalog.current_setting('synchronous_commit') = 'off' THEN
        PERFORM pg_catalog.set_config('synchronous_commit',
                                      coalesce((SELECT nullif(s.reset_val, 'off') FROM pg_catalog.pg_settings s
                                                WHERE s.name = 'synchronous_commit'), 'on'), true);
    END IF;
    IF p_request_id IS NOT NULL THEN
        SELECT r.requested_by INTO requester
        FROM api.ai_requests r WHERE r.id = p_request_id AND r.workspace_id = p_workspace_id;
        IF NOT FOUND THEN
            RAISE SQLSTATE 'PT404'
                USING MESSAGE = pg_catalog.format('AI request %s not found in this workspace', p_request_id);
        END IF;
    END IF;
    IF p_reservation_id IS NOT NULL THEN
        -- Read only (no lock): the settlement releases it. A reservation already expired or
        -- released is simply gone; the usage still counts.
        SELECT r.* INTO held FROM app.budget_reservations r WHERE r.id = p_reservation_id;
        IF FOUND AND held.workspace_id <> p_workspace_id THEN
            RAISE EXCEPTION 'reservation % belongs to another workspace', p_reservation_id
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
    END IF;
    -- app.current_api_key_id() and app.current_user_id(), from the claims read once.
    key_id := coalesce(held.api_key_id, nullif(claims ->> 'api_key_id', '')::uuid);

    INSERT INTO api.ai_usage AS u (workspace_id, request_id, api_key_id, user_id, endpoint, provider, model,
                                   upstream_model, input_tokens, output_tokens, cached_input_tokens,
                                   cache_write_tokens, reasoning_tokens, cache_hit, estimated, status,
                                   latency_ms, reservation_id)
    VALUES (p_workspace_id, p_request_id, key_id, coalesce(nullif(claims ->> 'sub', '')::uuid, requester),
            p_endpoint, p_provider, p_model, p_upstream_model, coalesce(p_input, 0), coalesce(p_output, 0),
            coalesce(p_cached_input, 0), coalesce(p_cache_write, 0), coalesce(p_reasoning, 0),
            coalesce(p_cache_hit, false), coalesce(p_estimated, false), coalesce(p_status, 'ok'), p_latency_ms,
            p_reservation_id)
    RETURNING u.* INTO recorded;
    INSERT INTO app.ai_usage_pending (usage_id) VALUES (recorded.id);
    RETURN recorded;
END
$$;

COMMIT;

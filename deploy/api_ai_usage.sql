-- Deploy taproot:api_ai_usage to pg
-- requires: api_ai_requests, api_api_keys, app_ai_prices, app_ai_budgets, api_usage_daily
-- The usage ledger: one immutable row per provider call (cached or not), priced in SQL at
-- insert. app.record_ai_usage() writes it, settles the call's budget reservation and adds
-- to api.usage_daily in the same transaction. A background request is charged once: the
-- UNIQUE (request_id) constraint refuses a second row, whatever crashes and retries happen.
-- From here on api.usage_daily is fed by the ledger only; api.ai_requests keeps its tokens
-- and cost columns as a copy for display, no longer counted.
BEGIN;

CREATE TABLE api.ai_usage (
    id                  bigserial PRIMARY KEY,
    workspace_id        uuid NOT NULL REFERENCES api.workspaces (id) ON DELETE CASCADE,
    request_id          uuid REFERENCES api.ai_requests (id) ON DELETE SET NULL
        CONSTRAINT ai_usage_request_id_key UNIQUE,
    api_key_id          uuid REFERENCES app.api_keys (id) ON DELETE SET NULL,
    user_id             uuid DEFAULT app.current_user_id() REFERENCES api.users (id) ON DELETE SET NULL,
    endpoint            text NOT NULL
        CONSTRAINT ai_usage_endpoint_known CHECK (endpoint IN ('chat', 'embeddings', 'messages', 'prompts.run', 'job')),
    provider            text NOT NULL
        CONSTRAINT ai_usage_provider_format CHECK (provider ~ '^[a-z][a-z0-9_-]{0,49}$'),
    model               text NOT NULL CONSTRAINT ai_usage_model_length CHECK (length(model) BETWEEN 1 AND 200),
    upstream_model      text CONSTRAINT ai_usage_upstream_model_length CHECK (length(upstream_model) BETWEEN 1 AND 200),
    input_tokens        integer NOT NULL DEFAULT 0 CONSTRAINT ai_usage_input_tokens_positive CHECK (input_tokens >= 0),
    output_tokens       integer NOT NULL DEFAULT 0 CONSTRAINT ai_usage_output_tokens_positive CHECK (output_tokens >= 0),
    cached_input_tokens integer NOT NULL DEFAULT 0
        CONSTRAINT ai_usage_cached_input_tokens_positive CHECK (cached_input_tokens >= 0),
    cache_write_tokens  integer NOT NULL DEFAULT 0
        CONSTRAINT ai_usage_cache_write_tokens_positive CHECK (cache_write_tokens >= 0),
    reasoning_tokens    integer NOT NULL DEFAULT 0
        CONSTRAINT ai_usage_reasoning_tokens_positive CHECK (reasoning_tokens >= 0),
    cost                numeric(12, 6) NOT NULL DEFAULT 0 CONSTRAINT ai_usage_cost_positive CHECK (cost >= 0),
    cache_hit           boolean NOT NULL DEFAULT false,
    estimated           boolean NOT NULL DEFAULT false,
    status              text NOT NULL DEFAULT 'ok'
        CONSTRAINT ai_usage_status_known CHECK (status IN ('ok', 'partial', 'error')),
    latency_ms          integer CONSTRAINT ai_usage_latency_ms_positive CHECK (latency_ms >= 0),
    created_at          timestamptz NOT NULL DEFAULT now(),
    -- Input tokens include the cached and cache-write ones (as the providers report them).
    CONSTRAINT ai_usage_cached_within_input
        CHECK (cached_input_tokens::bigint + cache_write_tokens <= input_tokens)
);
COMMENT ON TABLE api.ai_usage IS
    'The AI usage ledger: one immutable row per provider call, cost computed at insert from app.ai_prices; '
    'at most one row per AI request';
COMMENT ON COLUMN api.ai_usage.model IS 'The model the client asked for (upstream_model: what the provider ran)';
COMMENT ON COLUMN api.ai_usage.estimated IS 'Token counts estimated by Taproot (e.g. a stream cut short)';
CREATE INDEX ai_usage_workspace_id_created_at_idx ON api.ai_usage (workspace_id, created_at DESC);
CREATE INDEX ai_usage_api_key_id_idx ON api.ai_usage (api_key_id);
CREATE INDEX ai_usage_user_id_idx ON api.ai_usage (user_id);

CREATE FUNCTION app.price_ai_usage()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    request_workspace uuid;
BEGIN
    IF NEW.request_id IS NOT NULL THEN
        SELECT r.workspace_id INTO request_workspace FROM api.ai_requests r WHERE r.id = NEW.request_id;
        IF FOUND AND request_workspace <> NEW.workspace_id THEN
            RAISE EXCEPTION 'AI request % belongs to another workspace', NEW.request_id
                USING ERRCODE = 'insufficient_privilege';
        END IF;
    END IF;
    -- Callers never set the cost: it is the price in force now, and nothing for a cache hit.
    NEW.cost := CASE WHEN NEW.cache_hit THEN 0
                     ELSE app.ai_cost(NEW.provider, coalesce(NEW.upstream_model, NEW.model), NEW.created_at,
                                      NEW.input_tokens, NEW.output_tokens, NEW.cached_input_tokens,
                                      NEW.cache_write_tokens) END;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION app.price_ai_usage() IS
    'BEFORE INSERT on api.ai_usage: the request is of the same workspace; cost from app.ai_cost (0 for cache hits)';

CREATE FUNCTION app.refuse_ai_usage_change()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = ''
AS $$
BEGIN
    -- The foreign keys' ON DELETE SET NULL may clear a reference; nothing else changes.
    IF (NEW.request_id IS NULL OR NEW.request_id = OLD.request_id)
       AND (NEW.api_key_id IS NULL OR NEW.api_key_id = OLD.api_key_id)
       AND (NEW.user_id IS NULL OR NEW.user_id = OLD.user_id)
       AND (NEW.id, NEW.workspace_id, NEW.endpoint, NEW.provider, NEW.model, NEW.upstream_model,
            NEW.input_tokens, NEW.output_tokens, NEW.cached_input_tokens, NEW.cache_write_tokens,
            NEW.reasoning_tokens, NEW.cost, NEW.cache_hit, NEW.estimated, NEW.status, NEW.latency_ms,
            NEW.created_at)
           IS NOT DISTINCT FROM
           (OLD.id, OLD.workspace_id, OLD.endpoint, OLD.provider, OLD.model, OLD.upstream_model,
            OLD.input_tokens, OLD.output_tokens, OLD.cached_input_tokens, OLD.cache_write_tokens,
            OLD.reasoning_tokens, OLD.cost, OLD.cache_hit, OLD.estimated, OLD.status, OLD.latency_ms,
            OLD.created_at) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'the AI usage ledger is append-only: rows cannot change'
        USING ERRCODE = 'insufficient_privilege';
END
$$;
COMMENT ON FUNCTION app.refuse_ai_usage_change() IS
    'BEFORE UPDATE on api.ai_usage: refuse every change but a foreign key clearing its reference';

CREATE TRIGGER ai_usage_price BEFORE INSERT ON api.ai_usage
    FOR EACH ROW EXECUTE FUNCTION app.price_ai_usage();
CREATE TRIGGER ai_usage_immutable BEFORE UPDATE ON api.ai_usage
    FOR EACH ROW EXECUTE FUNCTION app.refuse_ai_usage_change();

ALTER TABLE api.ai_usage ENABLE ROW LEVEL SECURITY;
ALTER TABLE api.ai_usage FORCE ROW LEVEL SECURITY;
GRANT SELECT ON api.ai_usage TO authenticated, service_role, worker;
GRANT DELETE ON api.ai_usage TO service_role;
CREATE POLICY "members read their workspaces' AI usage" ON api.ai_usage
    FOR SELECT TO authenticated
    USING (workspace_id = ANY ((SELECT app.my_workspace_ids())::uuid[]));
CREATE POLICY "the service role reads all AI usage" ON api.ai_usage
    FOR SELECT TO service_role USING (true);
CREATE POLICY "the service role deletes old AI usage" ON api.ai_usage
    FOR DELETE TO service_role USING (true);
CREATE POLICY "the worker reads all AI usage" ON api.ai_usage
    FOR SELECT TO worker USING (true);

CREATE FUNCTION app.record_ai_usage(p_workspace_id uuid, p_request_id uuid, p_reservation_id uuid,
                                    p_endpoint text, p_provider text, p_model text, p_upstream_model text,
                                    p_input integer, p_output integer, p_cached_input integer,
                                    p_cache_write integer, p_reasoning integer, p_cache_hit boolean,
                                    p_estimated boolean, p_status text, p_latency_ms integer)
RETURNS api.ai_usage
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    held      app.budget_reservations;
    requester uuid;
    key_id    uuid;
    counted   bigint;
    recorded  api.ai_usage;
BEGIN
    PERFORM app.check_may_run_ai(p_workspace_id);
    IF p_request_id IS NOT NULL THEN
        SELECT r.requested_by INTO requester
        FROM api.ai_requests r WHERE r.id = p_request_id AND r.workspace_id = p_workspace_id;
        IF NOT FOUND THEN
            RAISE SQLSTATE 'PT404'
                USING MESSAGE = pg_catalog.format('AI request %s not found in this workspace', p_request_id);
        END IF;
    END IF;
    IF p_reservation_id IS NOT NULL THEN
        -- Deleting first: of two concurrent settlements only one finds the row. A
        -- reservation already expired or released is simply gone; the usage still counts.
        DELETE FROM app.budget_reservations r WHERE r.id = p_reservation_id RETURNING r.* INTO held;
        IF FOUND AND held.workspace_id <> p_workspace_id THEN
            RAISE EXCEPTION 'reservation % belongs to another workspace', p_reservation_id
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
    END IF;
    key_id := coalesce(held.api_key_id, app.current_api_key_id());

    INSERT INTO api.ai_usage AS u (workspace_id, request_id, api_key_id, user_id, endpoint, provider, model,
                                   upstream_model, input_tokens, output_tokens, cached_input_tokens,
                                   cache_write_tokens, reasoning_tokens, cache_hit, estimated, status,
                                   latency_ms)
    VALUES (p_workspace_id, p_request_id, key_id, coalesce(app.current_user_id(), requester), p_endpoint,
            p_provider, p_model, p_upstream_model, coalesce(p_input, 0), coalesce(p_output, 0),
            coalesce(p_cached_input, 0), coalesce(p_cache_write, 0), coalesce(p_reasoning, 0),
            coalesce(p_cache_hit, false), coalesce(p_estimated, false), coalesce(p_status, 'ok'), p_latency_ms)
    RETURNING u.* INTO recorded;

    IF held.id IS NOT NULL THEN
        PERFORM app.unhold_reservation(held.workspace_id, held.day, held.api_key_id, held.tokens);
    END IF;
    -- A cache hit spends no provider tokens: it counts as a request and a hit, not against budgets.
    counted := CASE WHEN recorded.cache_hit THEN 0
                    ELSE recorded.input_tokens::bigint + recorded.output_tokens END;
    PERFORM app.record_usage(p_workspace_id, 1, CASE WHEN recorded.cache_hit THEN 0 ELSE recorded.input_tokens END,
                             CASE WHEN recorded.cache_hit THEN 0 ELSE recorded.output_tokens END,
                             recorded.cost, recorded.cache_hit::integer);
    IF key_id IS NOT NULL AND counted > 0 THEN
        -- A call that used more than it reserved fills the budget up to its limit (the ledger
        -- row keeps the exact figures); the constraint never lets the counters pass it.
        UPDATE app.api_keys k
        SET tokens_used = CASE WHEN k.token_budget IS NULL THEN k.tokens_used + counted
                               ELSE least(k.tokens_used + counted, k.token_budget - k.tokens_reserved) END
        WHERE k.id = key_id;
    END IF;
    RETURN recorded;
END
$$;
COMMENT ON FUNCTION app.record_ai_usage(uuid, uuid, uuid, text, text, text, text, integer, integer, integer,
                                        integer, integer, boolean, boolean, text, integer) IS
    'Record one provider call in the ledger, settle its reservation and add it to today''s usage, in one '
    'transaction. Errors: 23505 request already charged; 42501 caller may not use AI here; PT404 unknown request; '
    '23514 bad endpoint/status/token counts.';
GRANT EXECUTE ON FUNCTION app.record_ai_usage(uuid, uuid, uuid, text, text, text, text, integer, integer, integer,
                                              integer, integer, boolean, boolean, text, integer)
    TO authenticated, worker;

-- usage_daily is fed by the ledger from now on.
DROP TRIGGER ai_requests_count_usage_on_insert ON api.ai_requests;
DROP TRIGGER ai_requests_count_usage_on_update ON api.ai_requests;
DROP FUNCTION app.count_ai_request_usage();
COMMENT ON TABLE api.usage_daily IS
    'Per workspace and UTC day: AI calls, tokens in/out, cost, cache hits (from the ledger api.ai_usage) '
    'and tokens reserved by calls in flight';

COMMIT;

-- Deploy taproot:api_ai_usage to pg
-- requires: api_ai_requests, api_api_keys, app_ai_prices, app_ai_budgets, api_usage_daily
-- The usage ledger: one immutable row per provider call (cached or not), priced in SQL at
-- insert. A call is charged in two transactions, so that no hot row is ever locked across a
-- WAL flush (see app_ai_budgets):
--   1. app.record_ai_usage() inserts the ledger row (and its app.ai_usage_pending marker) and
--      touches no shared row. Its commit is synchronous: once it returns, the bill is durable.
--      A background request is charged once: UNIQUE (request_id) refuses a second row,
--      whatever crashes and retries happen.
--   2. app.settle_ai_usage(id), called by the same caller right after that commit, applies the
--      row exactly once (it deletes the pending marker; a second settlement finds none):
--      releases the call's reservation and adds the call to api.usage_daily and to the API
--      key's tokens_used. It commits asynchronously (hot rows). Settling is derived from the
--      ledger, so losing it is harmless: app.settle_pending_usage() (periodic) and
--      app.release_expired_reservations() settle whatever the caller or a crash left pending.
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
    -- The budget reservation the call was made under (no foreign key: a reservation is
    -- deleted once settled, released or expired); app.settle_ai_usage releases it.
    reservation_id      uuid,
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
            NEW.created_at, NEW.reservation_id)
           IS NOT DISTINCT FROM
           (OLD.id, OLD.workspace_id, OLD.endpoint, OLD.provider, OLD.model, OLD.upstream_model,
            OLD.input_tokens, OLD.output_tokens, OLD.cached_input_tokens, OLD.cache_write_tokens,
            OLD.reasoning_tokens, OLD.cost, OLD.cache_hit, OLD.estimated, OLD.status, OLD.latency_ms,
            OLD.created_at, OLD.reservation_id) THEN
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

-- Ledger rows not settled yet. A row is inserted with its ledger row (same transaction) and
-- deleted by the one settlement that applies it: "exactly once" is this row's existence, and
-- the recovery scan reads this small table, not the ledger.
CREATE TABLE app.ai_usage_pending (
    usage_id bigint PRIMARY KEY REFERENCES api.ai_usage (id) ON DELETE CASCADE
);
COMMENT ON TABLE app.ai_usage_pending IS
    'AI usage ledger rows not yet settled into usage_daily, the API key and their reservation '
    '(app.settle_ai_usage deletes the row it settles)';
ALTER TABLE app.ai_usage_pending ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.ai_usage_pending FORCE ROW LEVEL SECURITY;
GRANT SELECT ON app.ai_usage_pending TO service_role, worker;
CREATE POLICY "the service role reads pending AI usage" ON app.ai_usage_pending
    FOR SELECT TO service_role USING (true);
CREATE POLICY "the worker reads pending AI usage" ON app.ai_usage_pending
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
    key_id := coalesce(held.api_key_id, app.current_api_key_id());

    INSERT INTO api.ai_usage AS u (workspace_id, request_id, api_key_id, user_id, endpoint, provider, model,
                                   upstream_model, input_tokens, output_tokens, cached_input_tokens,
                                   cache_write_tokens, reasoning_tokens, cache_hit, estimated, status,
                                   latency_ms, reservation_id)
    VALUES (p_workspace_id, p_request_id, key_id, coalesce(app.current_user_id(), requester), p_endpoint,
            p_provider, p_model, p_upstream_model, coalesce(p_input, 0), coalesce(p_output, 0),
            coalesce(p_cached_input, 0), coalesce(p_cache_write, 0), coalesce(p_reasoning, 0),
            coalesce(p_cache_hit, false), coalesce(p_estimated, false), coalesce(p_status, 'ok'), p_latency_ms,
            p_reservation_id)
    RETURNING u.* INTO recorded;
    INSERT INTO app.ai_usage_pending (usage_id) VALUES (recorded.id);
    RETURN recorded;
END
$$;
COMMENT ON FUNCTION app.record_ai_usage(uuid, uuid, uuid, text, text, text, text, integer, integer, integer,
                                        integer, integer, boolean, boolean, text, integer) IS
    'Record one provider call in the ledger (cost computed in SQL), durably (synchronous commit), touching no '
    'shared counter; then, after COMMIT, call app.settle_ai_usage(id) in a new transaction. Errors: 23505 request '
    'already charged; 42501 caller may not use AI here; PT404 unknown request; 22023 reservation of another '
    'workspace; 23514 bad endpoint/status/token counts.';
GRANT EXECUTE ON FUNCTION app.record_ai_usage(uuid, uuid, uuid, text, text, text, text, integer, integer, integer,
                                              integer, integer, boolean, boolean, text, integer)
    TO authenticated, worker;

-- Settlements of day D and app.rollup_usage(D) exclude each other (shared / exclusive), so the
-- roll-up's recount never overwrites a settlement it did not see.
CREATE FUNCTION app.lock_usage_day(p_day date, p_exclusive boolean)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = ''
AS $$
BEGIN
    IF p_exclusive THEN
        PERFORM pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('api.usage_daily'), p_day - date '2000-01-01');
    ELSE
        PERFORM pg_catalog.pg_advisory_xact_lock_shared(pg_catalog.hashtext('api.usage_daily'),
                                                        p_day - date '2000-01-01');
    END IF;
END
$$;
COMMENT ON FUNCTION app.lock_usage_day(date, boolean) IS
    'Transaction advisory lock on a UTC day of api.usage_daily: shared for settlements, exclusive for the roll-up';

-- Apply one ledger row, exactly once. Internal (no caller check): the callers below check.
CREATE FUNCTION app.settle_ai_usage_row(p_usage api.ai_usage)
RETURNS boolean
LANGUAGE plpgsql
VOLATILE
SET search_path = ''
AS $$
DECLARE
    -- The call counts on the UTC day it was recorded, as app.rollup_usage recounts it.
    usage_day    date := (p_usage.created_at AT TIME ZONE 'UTC')::date;
    held         app.budget_reservations;
    counted      bigint;
    same_day     bigint := 0;
    key_released bigint := 0;
BEGIN
    PERFORM app.lock_usage_day(usage_day, false);
    -- Of two concurrent settlements only one deletes the marker; the other waits, then finds
    -- nothing and changes nothing.
    DELETE FROM app.ai_usage_pending p WHERE p.usage_id = p_usage.id;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    IF p_usage.reservation_id IS NOT NULL THEN
        DELETE FROM app.budget_reservations r
        WHERE r.id = p_usage.reservation_id AND r.workspace_id = p_usage.workspace_id
        RETURNING r.* INTO held;
    END IF;
    -- Rows in a fixed order (the reservation's day, the usage's day, then the key), as
    -- app.reserve_budget locks them (day, then key), so settlements never deadlock with it.
    IF held.id IS NOT NULL THEN
        IF held.day = usage_day THEN
            same_day := held.tokens;
        ELSE
            UPDATE api.usage_daily u SET tokens_reserved = u.tokens_reserved - held.tokens
            WHERE u.workspace_id = held.workspace_id AND u.day = held.day;
        END IF;
    END IF;
    -- A cache hit spends no provider tokens: it counts as a request and a hit, not against budgets.
    counted := CASE WHEN p_usage.cache_hit THEN 0
                    ELSE p_usage.input_tokens::bigint + p_usage.output_tokens END;
    INSERT INTO api.usage_daily AS d (workspace_id, day, requests, tokens_in, tokens_out, cost, cache_hits)
    VALUES (p_usage.workspace_id, usage_day, 1,
            CASE WHEN p_usage.cache_hit THEN 0 ELSE p_usage.input_tokens END,
            CASE WHEN p_usage.cache_hit THEN 0 ELSE p_usage.output_tokens END,
            p_usage.cost, p_usage.cache_hit::integer)
    ON CONFLICT (workspace_id, day) DO UPDATE
    SET requests = d.requests + 1, tokens_in = d.tokens_in + EXCLUDED.tokens_in,
        tokens_out = d.tokens_out + EXCLUDED.tokens_out, cost = d.cost + EXCLUDED.cost,
        cache_hits = d.cache_hits + EXCLUDED.cache_hits, tokens_reserved = d.tokens_reserved - same_day;

    IF held.api_key_id IS NOT NULL THEN
        IF held.api_key_id IS NOT DISTINCT FROM p_usage.api_key_id THEN
            key_released := held.tokens;
        ELSE
            UPDATE app.api_keys k SET tokens_reserved = k.tokens_reserved - held.tokens
            WHERE k.id = held.api_key_id;
        END IF;
    END IF;
    IF p_usage.api_key_id IS NOT NULL AND (counted > 0 OR key_released > 0) THEN
        -- Release and use in one UPDATE. A call that used more than it reserved fills the budget
        -- up to its limit (the ledger row keeps the exact figures); the constraint never lets
        -- the counters pass it.
        UPDATE app.api_keys k
        SET tokens_reserved = k.tokens_reserved - key_released,
            tokens_used = CASE WHEN k.token_budget IS NULL THEN k.tokens_used + counted
                               ELSE least(k.tokens_used + counted,
                                          k.token_budget - (k.tokens_reserved - key_released)) END
        WHERE k.id = p_usage.api_key_id;
    END IF;
    RETURN true;
END
$$;
COMMENT ON FUNCTION app.settle_ai_usage_row(api.ai_usage) IS
    'Internal: settle one ledger row unless already settled (release its reservation, add it to its day''s '
    'usage_daily and to its API key); returns whether it did';

CREATE FUNCTION app.settle_ai_usage(p_usage_id bigint)
RETURNS boolean
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    recorded api.ai_usage;
BEGIN
    -- Asynchronous commit: this transaction locks the hot rows (today's usage_daily row, the
    -- key). A crash can only lose the whole settlement (marker deletion, reservation release,
    -- counters together), and the ledger row it derives from is already durable, so the
    -- periodic app.settle_pending_usage() simply settles it again.
    PERFORM app.commit_asynchronously();
    SELECT u.* INTO recorded FROM api.ai_usage u WHERE u.id = p_usage_id;
    IF NOT FOUND THEN
        RAISE SQLSTATE 'PT404' USING MESSAGE = pg_catalog.format('AI usage %s not found', p_usage_id);
    END IF;
    PERFORM app.check_may_run_ai(recorded.workspace_id);
    IF app.current_api_key_id() IS NOT NULL
       AND recorded.api_key_id IS DISTINCT FROM app.current_api_key_id() THEN
        RAISE EXCEPTION 'a call made with an API key settles that key''s usage only'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN app.settle_ai_usage_row(recorded);
END
$$;
COMMENT ON FUNCTION app.settle_ai_usage(bigint) IS
    'Settle a recorded call (after app.record_ai_usage''s transaction committed, in a new one): release its '
    'reservation, add it to usage_daily and to the API key; commits asynchronously. Idempotent: false when '
    'already settled. Errors: PT404 unknown usage row; 42501 caller may not use AI there, or another key''s row.';
GRANT EXECUTE ON FUNCTION app.settle_ai_usage(bigint) TO authenticated, worker;

CREATE FUNCTION app.settle_pending_usage(p_older_than interval DEFAULT '30 seconds')
RETURNS integer
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    pending  api.ai_usage;
    settled  integer := 0;
BEGIN
    PERFORM app.commit_asynchronously();  -- a lost run is redone by the next one
    IF p_older_than IS NULL OR p_older_than < interval '0' THEN
        RAISE EXCEPTION 'p_older_than must be a non-negative interval (got %)', p_older_than
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- Skip the markers a caller's settlement holds right now; at most 1,000 a call, so the hot
    -- rows are locked briefly (call again while it returns 1,000).
    FOR pending IN
        SELECT u.* FROM app.ai_usage_pending p JOIN api.ai_usage u ON u.id = p.usage_id
        WHERE u.created_at <= pg_catalog.now() - p_older_than
        ORDER BY p.usage_id
        LIMIT 1000
        FOR UPDATE OF p SKIP LOCKED
    LOOP
        IF app.settle_ai_usage_row(pending) THEN
            settled := settled + 1;
        END IF;
    END LOOP;
    RETURN settled;
END
$$;
COMMENT ON FUNCTION app.settle_pending_usage(interval) IS
    'Settle the ledger rows recorded more than p_older_than ago that no settlement applied (the caller died '
    'between its two transactions, or a crash lost the asynchronous settlement); up to 1,000 a call, returns how '
    'many. For a periodic worker job.';
GRANT EXECUTE ON FUNCTION app.settle_pending_usage(interval) TO worker;

-- Settle first the billed calls whose reservation expired, then free the rest: releasing such
-- a reservation alone would give its tokens back while the call's usage is not counted yet,
-- letting new reservations overspend until the call is settled.
CREATE OR REPLACE FUNCTION app.release_expired_reservations()
RETURNS integer
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    billed   api.ai_usage;
    released integer := 0;
    freed    integer;
BEGIN
    PERFORM app.commit_asynchronously();  -- a lost run is redone by the next one
    FOR billed IN
        SELECT u.* FROM app.ai_usage_pending p
        JOIN api.ai_usage u ON u.id = p.usage_id
        JOIN app.budget_reservations r ON r.id = u.reservation_id AND r.workspace_id = u.workspace_id
        WHERE r.expires_at <= pg_catalog.now()
        ORDER BY p.usage_id
        LIMIT 10000
        FOR UPDATE OF p SKIP LOCKED
    LOOP
        IF app.settle_ai_usage_row(billed) THEN
            released := released + 1;
        END IF;
    END LOOP;
    WITH gone AS (
        DELETE FROM app.budget_reservations r
        WHERE r.id IN (SELECT e.id FROM app.budget_reservations e
                       WHERE e.expires_at <= pg_catalog.now()
                       ORDER BY e.expires_at LIMIT 10000
                       FOR UPDATE SKIP LOCKED)
        RETURNING r.*
    ), by_day AS (
        UPDATE api.usage_daily u SET tokens_reserved = u.tokens_reserved - g.tokens
        FROM (SELECT workspace_id, day, pg_catalog.sum(tokens) AS tokens FROM gone GROUP BY 1, 2) g
        WHERE u.workspace_id = g.workspace_id AND u.day = g.day
    ), by_key AS (
        UPDATE app.api_keys k SET tokens_reserved = k.tokens_reserved - g.tokens
        FROM (SELECT api_key_id, pg_catalog.sum(tokens) AS tokens FROM gone
              WHERE api_key_id IS NOT NULL GROUP BY 1) g
        WHERE k.id = g.api_key_id
    )
    SELECT pg_catalog.count(*) INTO freed FROM gone;
    RETURN released + freed;
END
$$;
COMMENT ON FUNCTION app.release_expired_reservations() IS
    'Expired reservations: settle those whose call was recorded (with its real usage), free the others '
    '(up to 10,000 each a call); returns how many. For a periodic worker job.';

-- usage_daily is fed by the ledger from now on.
DROP TRIGGER ai_requests_count_usage_on_insert ON api.ai_requests;
DROP TRIGGER ai_requests_count_usage_on_update ON api.ai_requests;
DROP FUNCTION app.count_ai_request_usage();
COMMENT ON TABLE api.usage_daily IS
    'Per workspace and UTC day: AI calls, tokens in/out, cost, cache hits (from the ledger api.ai_usage) '
    'and tokens reserved by calls in flight';

COMMIT;

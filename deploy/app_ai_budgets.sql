-- Deploy taproot:app_ai_budgets to pg
-- requires: api_usage_daily, api_api_keys, api_ai_requests
-- Race-free token budgets. Before a provider call, app.reserve_budget() holds the tokens it
-- may spend against the workspace's daily quota and the API key's lifetime budget, each in
-- ONE conditional UPDATE (the row lock serializes concurrent reservations, and the WHERE
-- clause is re-checked on the locked row, so together they never pass a limit). The call
-- then settles the reservation with its real usage (app.settle_ai_usage, after the ledger row
-- is committed: see api_ai_usage) or releases it; a crashed caller's reservation expires and
-- app.release_expired_reservations() frees it.
--
-- Hot rows and commits. A workspace's usage_daily row for today (and a busy API key's row) is
-- locked by every call; a row lock lasts until COMMIT, and a synchronous COMMIT waits for the
-- WAL flush, so one workspace would get at most 1 / (flush time) reservations a second. Every
-- transaction that locks those rows therefore commits asynchronously (app.commit_asynchronously):
-- its locks are released as soon as the commit record is in the WAL buffers, microseconds, not
-- after the disk flush. What a crash can lose is only such a whole transaction (the WAL is
-- replayed in order: the lost ones are the last few hundred milliseconds), never part of one,
-- and never the bill: the ledger row (api.ai_usage) is written by a synchronous transaction
-- of its own.
BEGIN;

ALTER TABLE api.usage_daily
    ADD COLUMN tokens_reserved bigint NOT NULL DEFAULT 0
        CONSTRAINT usage_daily_tokens_reserved_positive CHECK (tokens_reserved >= 0);
COMMENT ON COLUMN api.usage_daily.tokens_reserved IS
    'Tokens held by open budget reservations made that day (app.reserve_budget)';

CREATE TABLE app.budget_reservations (
    id           uuid PRIMARY KEY DEFAULT extensions.gen_random_uuid(),
    workspace_id uuid NOT NULL REFERENCES api.workspaces (id) ON DELETE CASCADE,
    day          date NOT NULL,
    api_key_id   uuid REFERENCES app.api_keys (id) ON DELETE CASCADE,
    tokens       bigint NOT NULL CONSTRAINT budget_reservations_tokens_positive CHECK (tokens > 0),
    request_id   uuid REFERENCES api.ai_requests (id) ON DELETE SET NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    CONSTRAINT budget_reservations_expire_later CHECK (expires_at > created_at)
);
COMMENT ON TABLE app.budget_reservations IS
    'Open token reservations (held on usage_daily.tokens_reserved and api_keys.tokens_reserved); '
    'a row is deleted when settled, released or expired';
CREATE INDEX budget_reservations_workspace_id_day_idx ON app.budget_reservations (workspace_id, day);
CREATE INDEX budget_reservations_api_key_id_idx ON app.budget_reservations (api_key_id);
CREATE INDEX budget_reservations_request_id_idx ON app.budget_reservations (request_id);
CREATE INDEX budget_reservations_expires_at_idx ON app.budget_reservations (expires_at);

-- Only the definer functions below write it; the worker and service role may look.
ALTER TABLE app.budget_reservations ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.budget_reservations FORCE ROW LEVEL SECURITY;
GRANT SELECT ON app.budget_reservations TO service_role, worker;
CREATE POLICY "the service role reads all reservations" ON app.budget_reservations
    FOR SELECT TO service_role USING (true);
CREATE POLICY "the worker reads all reservations" ON app.budget_reservations
    FOR SELECT TO worker USING (true);

-- Same contract as before (PT429 once today's tokens reach the quota), counting reserved
-- tokens too: what is being spent right now is not available to a new request.
CREATE OR REPLACE FUNCTION app.check_token_quota(p_workspace_id uuid)
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
    SELECT coalesce(pg_catalog.sum(u.tokens_in + u.tokens_out + u.tokens_reserved), 0) INTO used
    FROM api.usage_daily u
    WHERE u.workspace_id = p_workspace_id AND u.day = (pg_catalog.now() AT TIME ZONE 'UTC')::date;
    IF used >= quota THEN
        RAISE SQLSTATE 'PT429'
            USING MESSAGE = pg_catalog.format('the workspace has used its daily token quota (%s of %s tokens)',
                                              used, quota),
                  DETAIL = 'budget_exhausted',
                  HINT = 'Try again tomorrow (UTC), or ask for a higher quota.';
    END IF;
END
$$;
COMMENT ON FUNCTION app.check_token_quota(uuid) IS
    'Raise PT429 (HTTP 429) when the workspace''s tokens used and reserved today reach its quota';

-- Let the calling transaction commit without waiting for the WAL flush. Only for transactions
-- that lock hot counters and whose loss in a crash is harmless (see each caller). Never in the
-- transaction that writes the ledger: app.record_ai_usage marks its transaction
-- (app.ai_ledger_written = on) and this then keeps the synchronous commit.
CREATE FUNCTION app.commit_asynchronously()
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = ''
AS $$
BEGIN
    IF pg_catalog.current_setting('app.ai_ledger_written', true) IS DISTINCT FROM 'on' THEN
        PERFORM pg_catalog.set_config('synchronous_commit', 'off', true);
    END IF;
END
$$;
COMMENT ON FUNCTION app.commit_asynchronously() IS
    'SET LOCAL synchronous_commit = off, unless this transaction wrote the AI usage ledger (which stays durable)';

CREATE FUNCTION app.reserve_budget(p_workspace_id uuid, p_api_key_id uuid, p_tokens bigint,
                                   p_request_id uuid DEFAULT NULL,
                                   p_ttl interval DEFAULT '15 minutes')
RETURNS uuid
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
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
    -- The reservation's transaction commits asynchronously: it holds today's usage_daily row
    -- (and the key's row) only for microseconds instead of across a WAL flush. Safe: a crash
    -- can only lose the reservation row together with its tokens_reserved increments (one
    -- transaction, replayed or lost as a whole), so nothing is held that no reservation
    -- accounts for; the caller whose reservation was lost still records its call (the ledger
    -- is durable) and the settlement finds no reservation to release. Any reservation that
    -- is never settled expires and app.release_expired_reservations() frees it. Call it in
    -- a transaction of its own: the whole transaction commits this way.
    PERFORM app.commit_asynchronously();
    PERFORM app.check_may_run_ai(p_workspace_id);
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
COMMENT ON FUNCTION app.reserve_budget(uuid, uuid, bigint, uuid, interval) IS
    'Hold p_tokens against today''s workspace quota and the API key''s budget; returns the reservation id. '
    'Errors: PT429 (DETAIL budget_exhausted) naming the exhausted budget; 42501 caller or key not allowed; 22023 bad tokens/ttl.';
GRANT EXECUTE ON FUNCTION app.reserve_budget(uuid, uuid, bigint, uuid, interval) TO authenticated, worker;

-- Give back what a deleted reservation held. Internal: callers delete the row first, so that
-- two concurrent settlements cannot both give it back.
CREATE FUNCTION app.unhold_reservation(p_workspace_id uuid, p_day date, p_api_key_id uuid, p_tokens bigint)
RETURNS void
LANGUAGE sql
VOLATILE
SECURITY DEFINER
SET search_path = ''
AS $$
    UPDATE api.usage_daily u SET tokens_reserved = u.tokens_reserved - p_tokens
    WHERE u.workspace_id = p_workspace_id AND u.day = p_day;
    UPDATE app.api_keys k SET tokens_reserved = k.tokens_reserved - p_tokens
    WHERE k.id = p_api_key_id;
$$;
COMMENT ON FUNCTION app.unhold_reservation(uuid, date, uuid, bigint) IS
    'Subtract a removed reservation''s tokens from its day''s usage row and its API key';

CREATE FUNCTION app.release_budget(p_reservation_id uuid)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    r app.budget_reservations;
BEGIN
    -- Asynchronous commit (it unholds on the hot rows): a release lost in a crash leaves the
    -- reservation in place until it expires, which only holds tokens a little longer.
    PERFORM app.commit_asynchronously();
    SELECT * INTO r FROM app.budget_reservations WHERE id = p_reservation_id;
    IF NOT FOUND THEN
        RETURN;  -- already released, settled or expired
    END IF;
    PERFORM app.check_may_run_ai(r.workspace_id);
    DELETE FROM app.budget_reservations WHERE id = p_reservation_id RETURNING * INTO r;
    IF FOUND THEN
        PERFORM app.unhold_reservation(r.workspace_id, r.day, r.api_key_id, r.tokens);
    END IF;
END
$$;
COMMENT ON FUNCTION app.release_budget(uuid) IS
    'Give a reservation''s tokens back unused (idempotent: nothing happens once released, settled or expired)';
GRANT EXECUTE ON FUNCTION app.release_budget(uuid) TO authenticated, worker;

CREATE FUNCTION app.release_expired_reservations()
RETURNS integer
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    released integer;
BEGIN
    -- Asynchronous commit, like every writer of the hot rows: a lost run is simply redone by
    -- the next one. (Change api_ai_usage replaces this function to settle first the billed
    -- calls whose reservation expired.)
    PERFORM app.commit_asynchronously();
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
    SELECT pg_catalog.count(*) INTO released FROM gone;
    RETURN released;
END
$$;
COMMENT ON FUNCTION app.release_expired_reservations() IS
    'Free the reservations whose callers never settled them (up to 10,000 a call); returns how many. '
    'For a periodic worker job.';
GRANT EXECUTE ON FUNCTION app.release_expired_reservations() TO worker;

COMMIT;

-- Revert taproot:app_begin_ai_call from pg
BEGIN;

DROP FUNCTION app.begin_ai_call(uuid, text, text, bigint, integer, uuid, interval);
CREATE OR REPLACE FUNCTION app.reserve_budget(p_workspace_id uuid, p_api_key_id uuid, p_tokens bigint,
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
DROP FUNCTION app.hold_budget(uuid, uuid, bigint, uuid, interval);

COMMIT;

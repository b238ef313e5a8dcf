-- Deploy taproot:app_settle_ai_usage_batch to pg
-- requires: api_ai_usage
-- Settle many recorded calls in one statement: the sidecar's background settler hands over
-- the ids its calls recorded (once each ledger row's transaction committed) every ~20 ms, so
-- settlement leaves the request path and today's usage_daily row is updated once per batch
-- instead of once per call. Per row the semantics of app.settle_ai_usage(bigint): applied
-- exactly once (app.settle_ai_usage_row deletes the pending marker), and only when the
-- caller may settle it (app.may_run_ai on its workspace; a call made with an API key, that
-- key's rows only). A row the caller may not settle, or that is gone, is skipped, not an
-- error, so that one revoked key does not fail the others' rows: what is skipped stays
-- pending for the periodic app.settle_pending_usage(). The sidecar runs it as the caller of
-- the rows (one statement per caller), so no role gains a right it did not have.
BEGIN;

CREATE FUNCTION app.settle_ai_usage(p_usage_ids bigint[])
RETURNS integer
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    recorded   api.ai_usage;
    key_id     uuid := app.current_api_key_id();
    allowed    uuid[] := '{}';
    refused    uuid[] := '{}';
    settled    integer := 0;
BEGIN
    -- Asynchronous commit, as app.settle_ai_usage(bigint) (hot rows; the ledger is durable).
    PERFORM app.commit_asynchronously();
    -- In workspace then id order, so that concurrent batches lock the usage_daily rows in the
    -- same order and never deadlock one another.
    FOR recorded IN
        SELECT u.* FROM api.ai_usage u
        WHERE u.id = ANY (p_usage_ids)
        ORDER BY u.workspace_id, u.id
    LOOP
        -- The caller check once per workspace of the batch (the caller is the same throughout).
        IF NOT recorded.workspace_id = ANY (allowed) THEN
            IF recorded.workspace_id = ANY (refused) THEN
                CONTINUE;
            ELSIF coalesce(app.may_run_ai(recorded.workspace_id), false) THEN
                allowed := allowed || recorded.workspace_id;
            ELSE
                refused := refused || recorded.workspace_id;
                CONTINUE;
            END IF;
        END IF;
        IF key_id IS NOT NULL AND recorded.api_key_id IS DISTINCT FROM key_id THEN
            CONTINUE;
        END IF;
        IF app.settle_ai_usage_row(recorded) THEN
            settled := settled + 1;
        END IF;
    END LOOP;
    RETURN settled;
END
$$;
COMMENT ON FUNCTION app.settle_ai_usage(bigint[]) IS
    'Settle recorded calls (each after its app.record_ai_usage transaction committed), each exactly once, as '
    'app.settle_ai_usage(bigint) does; rows the caller may not settle (app.may_run_ai; an API key: its own rows) '
    'or already settled are skipped and left to app.settle_pending_usage. Returns how many it settled; commits '
    'asynchronously.';
GRANT EXECUTE ON FUNCTION app.settle_ai_usage(bigint[]) TO authenticated, worker;

COMMIT;

-- Revert taproot:api_ai_usage from pg
BEGIN;

-- Usage counted by the AI requests again, as api_ai_requests defined it.
CREATE FUNCTION app.count_ai_request_usage()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = ''
AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM app.record_usage(NEW.workspace_id, 1, NEW.tokens_in, NEW.tokens_out, NEW.cost,
                                 NEW.cache_hit::integer);
    ELSE
        PERFORM app.record_usage(NEW.workspace_id, 0, NEW.tokens_in - OLD.tokens_in,
                                 NEW.tokens_out - OLD.tokens_out, NEW.cost - OLD.cost,
                                 NEW.cache_hit::integer - OLD.cache_hit::integer);
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION app.count_ai_request_usage() IS
    'AFTER INSERT/UPDATE on api.ai_requests: add requests, token, cost and cache-hit deltas to api.usage_daily';
CREATE TRIGGER ai_requests_count_usage_on_insert AFTER INSERT ON api.ai_requests
    FOR EACH ROW EXECUTE FUNCTION app.count_ai_request_usage();
CREATE TRIGGER ai_requests_count_usage_on_update AFTER UPDATE ON api.ai_requests
    FOR EACH ROW
    WHEN (NEW.tokens_in <> OLD.tokens_in OR NEW.tokens_out <> OLD.tokens_out OR NEW.cost <> OLD.cost
          OR NEW.cache_hit <> OLD.cache_hit)
    EXECUTE FUNCTION app.count_ai_request_usage();
COMMENT ON TABLE api.usage_daily IS
    'Per workspace and UTC day: AI requests made, tokens in/out, cost, cache hits (kept by triggers)';

-- app.release_expired_reservations as app_ai_budgets defined it.
CREATE OR REPLACE FUNCTION app.release_expired_reservations()
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
DROP FUNCTION app.settle_pending_usage(interval);
DROP FUNCTION app.settle_ai_usage(bigint);
DROP FUNCTION app.settle_ai_usage_row(api.ai_usage);
DROP FUNCTION app.lock_usage_day(date, boolean);
DROP FUNCTION app.record_ai_usage(uuid, uuid, uuid, text, text, text, text, integer, integer, integer,
                                  integer, integer, boolean, boolean, text, integer);
DROP TABLE app.ai_usage_pending;
DROP TABLE api.ai_usage;
DROP FUNCTION app.refuse_ai_usage_change();
DROP FUNCTION app.price_ai_usage();

COMMIT;

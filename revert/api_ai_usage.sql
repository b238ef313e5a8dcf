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

DROP FUNCTION app.record_ai_usage(uuid, uuid, uuid, text, text, text, text, integer, integer, integer,
                                  integer, integer, boolean, boolean, text, integer);
DROP TABLE api.ai_usage;
DROP FUNCTION app.refuse_ai_usage_change();
DROP FUNCTION app.price_ai_usage();

COMMIT;

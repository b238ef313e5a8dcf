-- Deploy taproot:app_rate_limits to pg
-- requires: app_schema, api_api_keys
-- Exact rate limits shared by every process and machine, kept in PostgreSQL: the generic
-- cell-rate algorithm (GCRA) over an UNLOGGED table (one row per key: its theoretical
-- arrival time, on the database's clock), one conditional upsert per check; and the
-- per-API-key requests-per-minute and tokens-per-minute limits built on it.
BEGIN;

CREATE UNLOGGED TABLE app.rate_limits (
    key text PRIMARY KEY CONSTRAINT rate_limits_key_length CHECK (length(key) BETWEEN 1 AND 200),
    tat timestamptz NOT NULL
);
COMMENT ON TABLE app.rate_limits IS
    'GCRA state per limited key: the theoretical arrival time (UNLOGGED: a crash forgets limits, not data)';
ALTER TABLE app.rate_limits ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.rate_limits FORCE ROW LEVEL SECURITY;

CREATE FUNCTION app.gcra_take(p_key text, p_per_second double precision, p_burst double precision,
                              p_cost double precision DEFAULT 1)
RETURNS double precision
LANGUAGE plpgsql
VOLATILE
SET search_path = ''
AS $$
DECLARE
    now_ts timestamptz := pg_catalog.clock_timestamp();
    step   interval;
    span   interval;
    tat    timestamptz;
BEGIN
    IF p_per_second <= 0 OR p_burst < 1 OR p_cost < 0 THEN
        RAISE EXCEPTION 'a rate limit needs a positive rate, a burst of at least 1 and a cost >= 0'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    step := pg_catalog.make_interval(secs => p_cost / p_per_second);
    span := pg_catalog.make_interval(secs => p_burst / p_per_second);
    -- Admitted when the new arrival time stays within `burst` emission intervals of now.
    INSERT INTO app.rate_limits AS r (key, tat) VALUES (p_key, now_ts + step)
    ON CONFLICT (key) DO UPDATE SET tat = greatest(r.tat, now_ts) + step
        WHERE greatest(r.tat, now_ts) + step - now_ts <= span
    RETURNING r.tat INTO tat;
    IF FOUND THEN
        RETURN 0;
    END IF;
    SELECT r.tat INTO tat FROM app.rate_limits r WHERE r.key = p_key;
    RETURN greatest(extract(epoch FROM greatest(tat, now_ts) + step - span - now_ts)::double precision, 0.001);
END
$$;
COMMENT ON FUNCTION app.gcra_take(text, double precision, double precision, double precision) IS
    'Take p_cost from key p_key limited to p_per_second with bursts of p_burst: 0 when admitted, '
    'else the seconds to wait (nothing is taken then)';

CREATE FUNCTION app.gcra_debit(p_key text, p_per_second double precision, p_cost double precision)
RETURNS void
LANGUAGE sql
VOLATILE
SET search_path = ''
AS $$
    -- Spent after the fact (output tokens): always recorded, so the next take waits for it.
    INSERT INTO app.rate_limits AS r (key, tat)
    VALUES (p_key, pg_catalog.clock_timestamp() + pg_catalog.make_interval(secs => p_cost / p_per_second))
    ON CONFLICT (key) DO UPDATE
    SET tat = greatest(r.tat, pg_catalog.clock_timestamp()) + pg_catalog.make_interval(secs => p_cost / p_per_second)
$$;
COMMENT ON FUNCTION app.gcra_debit(text, double precision, double precision) IS
    'Charge p_cost to key p_key unconditionally (for costs known only after the call; negative refunds)';

CREATE FUNCTION app.prune_rate_limits()
RETURNS integer
LANGUAGE sql
VOLATILE
SECURITY DEFINER
SET search_path = ''
AS $$
    WITH gone AS (DELETE FROM app.rate_limits r WHERE r.tat < pg_catalog.clock_timestamp() RETURNING 1)
    SELECT pg_catalog.count(*)::integer FROM gone
$$;
COMMENT ON FUNCTION app.prune_rate_limits() IS 'Forget keys whose limit has fully recovered; returns how many';

-- The caller's API key (claim api_key_id), within its requests- and tokens-per-minute limits.
CREATE FUNCTION app.take_api_key_rate(p_tokens integer)
RETURNS TABLE (retry_after double precision, limit_name text)
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    key  app.api_keys;
    wait double precision;
BEGIN
    SELECT * INTO key FROM app.api_keys k WHERE k.id = app.current_api_key_id();
    IF NOT FOUND THEN
        RETURN QUERY SELECT 0::double precision, NULL::text;
        RETURN;
    END IF;
    IF key.requests_per_minute IS NOT NULL THEN
        wait := app.gcra_take('api_key:' || key.id || ':requests', key.requests_per_minute / 60.0,
                              key.requests_per_minute, 1);
        IF wait > 0 THEN
            RETURN QUERY SELECT wait, pg_catalog.format('%s requests per minute', key.requests_per_minute);
            RETURN;
        END IF;
    END IF;
    IF key.tokens_per_minute IS NOT NULL THEN
        wait := app.gcra_take('api_key:' || key.id || ':tokens', key.tokens_per_minute / 60.0,
                              key.tokens_per_minute, greatest(p_tokens, 0));
        IF wait > 0 THEN
            -- Refused calls take nothing: give back the request just counted.
            IF key.requests_per_minute IS NOT NULL THEN
                PERFORM app.gcra_debit('api_key:' || key.id || ':requests', key.requests_per_minute / 60.0, -1);
            END IF;
            RETURN QUERY SELECT wait, pg_catalog.format('%s tokens per minute', key.tokens_per_minute);
            RETURN;
        END IF;
    END IF;
    RETURN QUERY SELECT 0::double precision, NULL::text;
END
$$;
COMMENT ON FUNCTION app.take_api_key_rate(integer) IS
    'For a call made with an API key: count one request and p_tokens (its input) against the key''s '
    'limits; retry_after 0 when admitted, else the seconds to wait and which limit refused';

CREATE FUNCTION app.debit_api_key_tokens(p_tokens integer)
RETURNS void
LANGUAGE sql
VOLATILE
SECURITY DEFINER
SET search_path = ''
AS $$
    SELECT app.gcra_debit('api_key:' || k.id || ':tokens', k.tokens_per_minute / 60.0, p_tokens)
    FROM app.api_keys k
    WHERE k.id = app.current_api_key_id() AND k.tokens_per_minute IS NOT NULL AND p_tokens > 0
$$;
COMMENT ON FUNCTION app.debit_api_key_tokens(integer) IS
    'Charge the output tokens of a call made with an API key to its tokens-per-minute limit';

GRANT EXECUTE ON FUNCTION app.take_api_key_rate(integer), app.debit_api_key_tokens(integer) TO authenticated;
GRANT EXECUTE ON FUNCTION app.prune_rate_limits() TO worker;

COMMIT;

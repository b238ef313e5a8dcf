-- Deploy taproot:ratelimit_check to pg
-- requires: app_rate_limits
-- The shared limiter the gateway and the sidecar call as authenticator, in autocommit,
-- outside any request transaction: one conditional upsert on app.rate_limits (GCRA, the
-- database's clock). A schema of its own so authenticator (which inherits nothing) gets
-- USAGE on this one function's schema only; keys are namespaced 'rl:' so callers can
-- neither read nor spend the per-API-key limits kept in the same table.
BEGIN;

CREATE SCHEMA ratelimit;
COMMENT ON SCHEMA ratelimit IS 'The shared rate limiter called by the gateway and the sidecar';

CREATE FUNCTION ratelimit.check(p_key text, p_per_second double precision,
                                p_burst double precision, p_cost double precision DEFAULT 1)
RETURNS TABLE (allowed boolean, remaining double precision, retry_after double precision,
               reset_after double precision)
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    k      text := 'rl:' || p_key;
    now_ts timestamptz := pg_catalog.clock_timestamp();
    step   double precision;
    span   double precision;
    t      timestamptz;
    ahead  double precision;
BEGIN
    IF p_per_second IS NULL OR p_burst IS NULL OR p_cost IS NULL
       OR p_per_second <= 0 OR p_burst < 1 OR p_cost < 0 THEN
        RAISE EXCEPTION 'a rate limit needs a positive rate, a burst of at least 1 and a cost >= 0'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    step := p_cost / p_per_second;
    span := p_burst / p_per_second;
    INSERT INTO app.rate_limits AS r (key, tat)
    VALUES (k, now_ts + pg_catalog.make_interval(secs => step))
    ON CONFLICT (key) DO UPDATE
        SET tat = greatest(r.tat, now_ts) + pg_catalog.make_interval(secs => step)
        WHERE greatest(r.tat, now_ts) + pg_catalog.make_interval(secs => step)
              <= now_ts + pg_catalog.make_interval(secs => span)
    RETURNING r.tat INTO t;
    IF FOUND THEN
        ahead := extract(epoch FROM t - now_ts)::double precision;
        RETURN QUERY SELECT true, floor((span - ahead) * p_per_second + 1e-4), 0::double precision, ahead;
        RETURN;
    END IF;
    -- Refused: nothing was taken.
    SELECT r.tat INTO t FROM app.rate_limits r WHERE r.key = k;
    ahead := greatest(extract(epoch FROM t - now_ts)::double precision, 0);
    RETURN QUERY SELECT false, greatest(floor((span - ahead) * p_per_second + 1e-4), 0),
                        greatest(ahead + step - span, 0.001), ahead;
END
$$;
COMMENT ON FUNCTION ratelimit.check(text, double precision, double precision, double precision) IS
    'Take p_cost from key p_key (rate p_per_second, bursts of p_burst): whether it was admitted, '
    'the quota left, the seconds to wait (0 when admitted) and until the quota is whole again';

REVOKE ALL ON FUNCTION ratelimit.check(text, double precision, double precision, double precision) FROM PUBLIC;
GRANT USAGE ON SCHEMA ratelimit TO authenticator;
GRANT EXECUTE ON FUNCTION ratelimit.check(text, double precision, double precision, double precision)
    TO authenticator;

COMMIT;

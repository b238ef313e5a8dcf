-- Deploy taproot:app_readiness to pg
-- requires: app_job_stats, procrastinate_grants
-- What the gateway's GET /api/ready asks the database (configured as
-- taproot-ready-function, like db-pre-request): is the schema at the change the code
-- expects (sqitch's registry), is a worker's heartbeat fresh, is the queue keeping up.
-- One call, one round trip; SECURITY DEFINER so that authenticator, the gateway's login
-- role, may ask without reading the registry or the queue itself.
BEGIN;

CREATE FUNCTION app.readiness(p_options jsonb DEFAULT '{}')
RETURNS jsonb
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    v_opts      jsonb := coalesce(p_options, '{}');
    v_expected  text := nullif(v_opts ->> 'expected_change', '');
    v_project text := coalesce(nullif(v_opts ->> 'project', ''), 'taproot');
    v_max_age   double precision := coalesce((v_opts ->> 'max_heartbeat_age')::double precision, 30);
    v_max_lag   double precision := coalesce((v_opts ->> 'max_queue_lag')::double precision, 300);
    v_deployed text;
    v_found boolean := false;
    v_fresh bigint;
    v_newest double precision;
    v_lag double precision;
    v_per_queue jsonb;
    v_schema jsonb;
BEGIN
    -- the schema: sqitch keeps what is deployed in its registry (schema sqitch, sqitch.conf)
    IF pg_catalog.to_regclass('sqitch.changes') IS NULL THEN
        v_schema := pg_catalog.jsonb_build_object('ok', v_expected IS NULL, 'expected', v_expected,
                                                'deployed', NULL, 'error', 'no sqitch registry in this database');
    ELSE
        SELECT c.change INTO v_deployed FROM sqitch.changes c
        WHERE c.project = v_project ORDER BY c.committed_at DESC LIMIT 1;
        IF v_expected IS NOT NULL THEN
            v_found := EXISTS (SELECT 1 FROM sqitch.changes c WHERE c.project = v_project AND c.change = v_expected);
        END IF;
        v_schema := pg_catalog.jsonb_build_object('ok', v_expected IS NULL OR v_found, 'expected', v_expected,
                                                'deployed', v_deployed);
    END IF;

    -- the workers: Procrastinate's heartbeats (a stopped worker removes its row, a dead
    -- one stops beating)
    SELECT pg_catalog.count(*) FILTER (WHERE w.last_heartbeat > pg_catalog.now() - pg_catalog.make_interval(secs => v_max_age)),
           extract(epoch FROM pg_catalog.now() - pg_catalog.max(w.last_heartbeat))::double precision
    INTO v_fresh, v_newest
    FROM procrastinate.procrastinate_workers w;

    -- the queue: age of the oldest runnable job, per queue (as app.job_queue_stats counts it)
    WITH runnable AS (
        SELECT j.queue_name, coalesce(j.scheduled_at, d.at) AS since
        FROM procrastinate.procrastinate_jobs j
        LEFT JOIN LATERAL (
            SELECT e.at FROM procrastinate.procrastinate_events e
            WHERE e.job_id = j.id AND e.type = 'deferred' ORDER BY e.id LIMIT 1
        ) d ON true
        WHERE j.status = 'todo' AND (j.scheduled_at IS NULL OR j.scheduled_at <= pg_catalog.now())
    ), queues AS (
        SELECT r.queue_name, pg_catalog.count(*) AS runnable,
               coalesce(extract(epoch FROM pg_catalog.now() - pg_catalog.min(r.since)), 0)::double precision AS lag
        FROM runnable r GROUP BY r.queue_name
    )
    SELECT coalesce(pg_catalog.max(q.lag), 0),
           coalesce(pg_catalog.jsonb_object_agg(q.queue_name,
                        pg_catalog.jsonb_build_object('runnable', q.runnable, 'lag_seconds', pg_catalog.round(q.lag::numeric, 3)))
                    FILTER (WHERE q.queue_name IS NOT NULL), '{}')
    INTO v_lag, v_per_queue
    FROM queues q;

    RETURN pg_catalog.jsonb_build_object(
        'schema', v_schema,
        'worker', pg_catalog.jsonb_build_object(
            'ok', v_fresh > 0, 'fresh_workers', v_fresh,
            'last_heartbeat_age_seconds', pg_catalog.round(v_newest::numeric, 3),
            'max_heartbeat_age_seconds', v_max_age),
        'queue', pg_catalog.jsonb_build_object(
            'ok', v_lag <= v_max_lag, 'lag_seconds', pg_catalog.round(v_lag::numeric, 3),
            'max_lag_seconds', v_max_lag, 'queues', v_per_queue));
END
$$;
COMMENT ON FUNCTION app.readiness(jsonb) IS
    'Readiness checks for GET /api/ready: {schema, worker, queue}, each {ok, …}. Options: expected_change '
    '(the plan''s last change), project (taproot), max_heartbeat_age (30 s), max_queue_lag (300 s)';
-- authenticator reaches this one function of schema app (nothing else in app is granted
-- to it, and functions are not executable by PUBLIC here: extensions' default privileges)
GRANT USAGE ON SCHEMA app TO authenticator;
GRANT EXECUTE ON FUNCTION app.readiness(jsonb) TO authenticator, service_role;

COMMIT;

-- Deploy taproot:app_job_stats to pg
-- requires: procrastinate_grants, api_ai_requests_jobs, reporting_schema
-- What the queue is doing, readable from SQL: counts by queue and status and the queue lag
-- (age of the oldest runnable job) for health checks and metrics (app.job_queue_stats),
-- the same plus latency percentiles for analysts (reporting.job_queues, reporting.job_latency),
-- and for users their own AI requests' waits and run times (api.ai_request_stats, RLS applies).
BEGIN;

CREATE VIEW app.job_queue_stats AS
    WITH runnable AS (
        -- A job is runnable from its deferral (or from its retry time, when scheduled).
        SELECT j.queue_name, coalesce(j.scheduled_at, d.at) AS since
        FROM procrastinate.procrastinate_jobs j
        LEFT JOIN LATERAL (
            SELECT e.at FROM procrastinate.procrastinate_events e
            WHERE e.job_id = j.id AND e.type = 'deferred' ORDER BY e.id LIMIT 1
        ) d ON true
        WHERE j.status = 'todo' AND (j.scheduled_at IS NULL OR j.scheduled_at <= pg_catalog.now())
    ), counts AS (
        SELECT j.queue_name,
               pg_catalog.count(*) FILTER (WHERE j.status = 'todo') AS todo,
               pg_catalog.count(*) FILTER (WHERE j.status = 'doing') AS doing,
               pg_catalog.count(*) FILTER (WHERE j.status = 'succeeded') AS succeeded,
               pg_catalog.count(*) FILTER (WHERE j.status = 'failed') AS failed,
               pg_catalog.count(*) FILTER (WHERE j.status = 'cancelled') AS cancelled,
               pg_catalog.count(*) FILTER (WHERE j.status = 'aborted') AS aborted
        FROM procrastinate.procrastinate_jobs j
        GROUP BY j.queue_name
    )
    SELECT c.queue_name AS queue, c.todo, c.doing, c.succeeded, c.failed, c.cancelled, c.aborted,
           (SELECT pg_catalog.count(*) FROM runnable r WHERE r.queue_name = c.queue_name) AS runnable,
           coalesce(extract(epoch FROM pg_catalog.now()
                            - (SELECT pg_catalog.min(r.since) FROM runnable r WHERE r.queue_name = c.queue_name)),
                    0)::double precision AS lag_seconds
    FROM counts c;
COMMENT ON VIEW app.job_queue_stats IS
    'Per queue: jobs by status, runnable jobs and lag_seconds (age of the oldest runnable job)';
GRANT SELECT ON app.job_queue_stats TO worker, service_role;

CREATE VIEW reporting.job_queues AS SELECT * FROM app.job_queue_stats;
COMMENT ON VIEW reporting.job_queues IS 'Per queue: jobs by status, runnable jobs and the queue lag in seconds';
GRANT SELECT ON reporting.job_queues TO analyst;

CREATE VIEW reporting.job_latency AS
    SELECT (ev.deferred_at AT TIME ZONE 'UTC')::date AS day, j.queue_name AS queue, j.task_name AS task,
           pg_catalog.count(*) AS jobs,
           pg_catalog.count(*) FILTER (WHERE j.status = 'failed') AS failed,
           pg_catalog.sum(j.attempts) AS retries,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM ev.started_at - ev.deferred_at) * 1000) AS wait_p50_ms,
           percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM ev.started_at - ev.deferred_at) * 1000) AS wait_p99_ms,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM ev.finished_at - ev.last_started_at) * 1000) AS run_p50_ms,
           percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM ev.finished_at - ev.last_started_at) * 1000) AS run_p99_ms
    FROM procrastinate.procrastinate_jobs j
    CROSS JOIN LATERAL (
        SELECT pg_catalog.min(e.at) FILTER (WHERE e.type = 'deferred') AS deferred_at,
               pg_catalog.min(e.at) FILTER (WHERE e.type = 'started') AS started_at,
               pg_catalog.max(e.at) FILTER (WHERE e.type = 'started') AS last_started_at,
               pg_catalog.max(e.at) FILTER (WHERE e.type IN ('succeeded', 'failed', 'aborted')) AS finished_at
        FROM procrastinate.procrastinate_events e WHERE e.job_id = j.id
    ) ev
    WHERE ev.deferred_at IS NOT NULL
    GROUP BY 1, 2, 3;
COMMENT ON VIEW reporting.job_latency IS
    'Per UTC day, queue and task: jobs, failures, retries, p50/p99 of queued->started and started->finished (ms)';
GRANT SELECT ON reporting.job_latency TO analyst;

CREATE VIEW api.ai_request_stats WITH (security_invoker = true) AS
    SELECT r.workspace_id, r.status, pg_catalog.count(*) AS requests,
           pg_catalog.sum(r.attempts) AS attempts,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM r.started_at - r.created_at) * 1000) AS wait_p50_ms,
           percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM r.started_at - r.created_at) * 1000) AS wait_p99_ms,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM r.finished_at - r.started_at) * 1000) AS run_p50_ms,
           percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM r.finished_at - r.started_at) * 1000) AS run_p99_ms
    FROM api.ai_requests r
    WHERE r.created_at > pg_catalog.now() - interval '24 hours'
    GROUP BY r.workspace_id, r.status;
COMMENT ON VIEW api.ai_request_stats IS
    'Your workspaces'' AI requests of the last 24 hours by status: counts, attempts, wait and run p50/p99 (ms)';
GRANT SELECT ON api.ai_request_stats TO authenticated, service_role;

-- Reconcile a finished day of api.usage_daily with the ledger it is fed from (the periodic
-- roll-up). Only past days: today's row is still being added to, and a recount racing with
-- those additions could lose one.
CREATE FUNCTION app.rollup_usage(p_day date)
RETURNS integer
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    n integer;
BEGIN
    -- Past days only: today's row is fed by the settlements as calls happen.
    IF p_day >= (pg_catalog.now() AT TIME ZONE 'UTC')::date THEN
        RETURN 0;
    END IF;
    -- Recount the ledger rows already settled, with the day's settlements held off meanwhile
    -- (app.lock_usage_day): a settlement either committed before (counted here) or runs
    -- after (its row still pending, not counted here: it adds itself), never in between.
    PERFORM app.lock_usage_day(p_day, true);
    INSERT INTO api.usage_daily AS d (workspace_id, day, requests, tokens_in, tokens_out, cost, cache_hits)
    SELECT u.workspace_id, p_day, pg_catalog.count(*),
           coalesce(pg_catalog.sum(u.input_tokens) FILTER (WHERE NOT u.cache_hit), 0),
           coalesce(pg_catalog.sum(u.output_tokens) FILTER (WHERE NOT u.cache_hit), 0),
           coalesce(pg_catalog.sum(u.cost), 0), pg_catalog.count(*) FILTER (WHERE u.cache_hit)
    FROM api.ai_usage u
    JOIN api.workspaces w ON w.id = u.workspace_id
    WHERE (u.created_at AT TIME ZONE 'UTC')::date = p_day
      AND NOT EXISTS (SELECT 1 FROM app.ai_usage_pending p WHERE p.usage_id = u.id)
    GROUP BY u.workspace_id
    ON CONFLICT (workspace_id, day) DO UPDATE
    SET requests = EXCLUDED.requests, tokens_in = EXCLUDED.tokens_in, tokens_out = EXCLUDED.tokens_out,
        cost = EXCLUDED.cost, cache_hits = EXCLUDED.cache_hits
    WHERE (d.requests, d.tokens_in, d.tokens_out, d.cost, d.cache_hits)
          IS DISTINCT FROM (EXCLUDED.requests, EXCLUDED.tokens_in, EXCLUDED.tokens_out, EXCLUDED.cost, EXCLUDED.cache_hits);
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;
COMMENT ON FUNCTION app.rollup_usage(date) IS
    'Recompute a past UTC day of api.usage_daily from the settled rows of the api.ai_usage ledger (pending ones '
    'add themselves when settled); returns the rows corrected';
GRANT EXECUTE ON FUNCTION app.rollup_usage(date) TO worker;

COMMIT;

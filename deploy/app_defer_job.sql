-- Deploy taproot:app_defer_job to pg
-- requires: procrastinate_grants, app_schema
-- The one place that knows Procrastinate's versioned SQL API: enqueue a job and cancel one.
-- A Procrastinate upgrade that versions these functions (…_v2) changes only this file's
-- successor. SECURITY DEFINER with search_path pinned to procrastinate, because
-- Procrastinate's functions and triggers use unqualified names; callers are our own api
-- functions and triggers (EXECUTE is not granted to client roles).
BEGIN;

CREATE FUNCTION app.defer_job(p_task text, p_args jsonb, p_queue text DEFAULT 'default',
                              p_lock text DEFAULT NULL, p_run_at timestamptz DEFAULT NULL,
                              p_queueing_lock text DEFAULT NULL, p_priority integer DEFAULT 0)
RETURNS bigint
LANGUAGE sql
VOLATILE
SECURITY DEFINER
SET search_path = procrastinate, pg_catalog
AS $$
    SELECT (procrastinate.procrastinate_defer_jobs_v1(ARRAY[
        ROW(p_queue, p_task, p_priority, p_lock, p_queueing_lock, coalesce(p_args, '{}'), p_run_at)
            ::procrastinate.procrastinate_job_to_defer_v1]))[1]
$$;
COMMENT ON FUNCTION app.defer_job(text, jsonb, text, text, timestamptz, text, integer) IS
    'Enqueue a Procrastinate job (task name, JSON kwargs, queue, lock, run_at, queueing lock, priority); '
    'returns the job id. Commits or rolls back with the caller''s transaction.';

CREATE FUNCTION app.cancel_job(p_job_id bigint)
RETURNS boolean
LANGUAGE sql
VOLATILE
SECURITY DEFINER
SET search_path = procrastinate, pg_catalog
AS $$
    -- abort => true: a queued job is cancelled, a running one is asked to abort (its worker
    -- hears it by NOTIFY and cancels the task); the job row is kept for the record.
    SELECT procrastinate.procrastinate_cancel_job_v1(p_job_id, true, false) IS NOT NULL
$$;
COMMENT ON FUNCTION app.cancel_job(bigint) IS
    'Cancel a queued Procrastinate job or ask its worker to abort a running one; false when already finished';

GRANT EXECUTE ON FUNCTION app.defer_job(text, jsonb, text, text, timestamptz, text, integer),
    app.cancel_job(bigint) TO worker;

COMMIT;

-- Deploy taproot:api_ai_requests_jobs to pg
-- requires: api_ai_requests, api_ai_requests_rls, api_run_prompt, app_defer_job, api_ai_routes
-- Every queued AI request has exactly one Procrastinate job, created in the same
-- transaction by the insert trigger (whichever path inserts: api.run_prompt, a POST on
-- /ai_requests, the service role), so a rolled-back request leaves no job and a committed
-- one always has its job. Cancelling a request cancels (or aborts) its job. The worker
-- claims and finishes attempts through fenced functions: an attempt number that is not the
-- request's current one cannot write anything, so a worker that comes back late after its
-- job was retried elsewhere cannot finish it, and a finished request can never change.
BEGIN;

ALTER TABLE api.ai_requests
    ADD COLUMN job_id bigint CONSTRAINT ai_requests_job_id_key UNIQUE,
    ADD COLUMN next_attempt_at timestamptz,
    ADD COLUMN last_error text;
COMMENT ON COLUMN api.ai_requests.job_id IS 'The Procrastinate job that runs this request (NULL for synchronous runs)';
COMMENT ON COLUMN api.ai_requests.next_attempt_at IS 'When a request queued for retry will be tried again';
COMMENT ON COLUMN api.ai_requests.last_error IS 'The error of the last failed attempt (kept while retrying)';
GRANT UPDATE (next_attempt_at, last_error) ON api.ai_requests TO worker;

CREATE FUNCTION app.queue_ai_request_job()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = ''
AS $$
BEGIN
    IF NEW.status = 'queued' AND NEW.job_id IS NULL THEN
        NEW.job_id := app.defer_job('ai.run_request', pg_catalog.jsonb_build_object('request_id', NEW.id), 'ai');
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION app.queue_ai_request_job() IS
    'BEFORE INSERT on api.ai_requests (after validation): defer the ai.run_request job of a queued request';

CREATE FUNCTION app.cancel_ai_request_job()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = ''
AS $$
BEGIN
    PERFORM app.cancel_job(NEW.job_id);
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION app.cancel_ai_request_job() IS
    'AFTER UPDATE to cancelled on api.ai_requests: cancel the queued job or abort the running one';

CREATE FUNCTION app.keep_finished_ai_request()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = ''
AS $$
BEGIN
    IF OLD.status IN ('succeeded', 'failed', 'cancelled')
       AND NOT (OLD.status = 'failed' AND NEW.status = 'queued')
       AND ROW(NEW.status, NEW.result, NEW.error, NEW.attempts, NEW.tokens_in, NEW.tokens_out, NEW.cost,
               NEW.cache_hit, NEW.started_at, NEW.finished_at)
           IS DISTINCT FROM
           ROW(OLD.status, OLD.result, OLD.error, OLD.attempts, OLD.tokens_in, OLD.tokens_out, OLD.cost,
               OLD.cache_hit, OLD.started_at, OLD.finished_at) THEN
        RAISE SQLSTATE 'PT409'
            USING MESSAGE = pg_catalog.format('the AI request has already %s; its outcome cannot change',
                                              CASE OLD.status WHEN 'cancelled' THEN 'been cancelled' ELSE OLD.status END);
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION app.keep_finished_ai_request() IS
    'BEFORE UPDATE on api.ai_requests: a succeeded, failed or cancelled request keeps its outcome (failed may be re-queued)';

-- Requests queued before this change get their job now, so the invariant holds for all rows.
UPDATE api.ai_requests r
SET job_id = app.defer_job('ai.run_request', pg_catalog.jsonb_build_object('request_id', r.id), 'ai')
WHERE r.status = 'queued' AND r.job_id IS NULL;
ALTER TABLE api.ai_requests ADD CONSTRAINT ai_requests_queued_has_job
    CHECK (status <> 'queued' OR job_id IS NOT NULL);

CREATE TRIGGER ai_requests_queue_job BEFORE INSERT ON api.ai_requests
    FOR EACH ROW EXECUTE FUNCTION app.queue_ai_request_job();
CREATE TRIGGER ai_requests_cancel_job AFTER UPDATE ON api.ai_requests
    FOR EACH ROW WHEN (NEW.status = 'cancelled' AND OLD.status <> 'cancelled' AND NEW.job_id IS NOT NULL)
    EXECUTE FUNCTION app.cancel_ai_request_job();
CREATE TRIGGER ai_requests_finished_immutable BEFORE UPDATE ON api.ai_requests
    FOR EACH ROW EXECUTE FUNCTION app.keep_finished_ai_request();

-- The worker's side. SQL functions, SECURITY DEFINER, executable by the worker only.
CREATE FUNCTION app.claim_ai_request(p_request_id uuid, p_job_id bigint)
RETURNS TABLE (attempt integer, workspace_id uuid, prompt_version_id uuid, template text,
               variables jsonb, model text, params jsonb, inputs jsonb, requested_by uuid,
               routes jsonb)
LANGUAGE sql
VOLATILE
SECURITY DEFINER
SET search_path = ''
AS $$
    -- queued → running, or running → running when an earlier attempt's worker died: either
    -- way a new attempt number, which fences off whoever held the previous one. The model's
    -- routes come along, so an attempt needs no second round trip to resolve them.
    WITH claimed AS (
        UPDATE api.ai_requests r
        SET status = 'running', attempts = r.attempts + 1,
            started_at = pg_catalog.clock_timestamp(), next_attempt_at = NULL
        WHERE r.id = p_request_id AND r.job_id = p_job_id AND r.status IN ('queued', 'running')
        RETURNING r.attempts, r.workspace_id, r.prompt_version_id, r.inputs, r.requested_by
    )
    SELECT c.attempts, c.workspace_id, c.prompt_version_id, v.template, v.variables, v.model,
           v.params, c.inputs, c.requested_by,
           (SELECT coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_array(
                        rt.credential, coalesce(rt.upstream_model, v.model)) ORDER BY rt.position), '[]')
            FROM api.ai_routes rt WHERE rt.workspace_id = c.workspace_id AND rt.model = v.model)
    FROM claimed c JOIN api.prompt_versions v ON v.id = c.prompt_version_id
$$;
COMMENT ON FUNCTION app.claim_ai_request(uuid, bigint) IS
    'Start a new attempt of the request run by this job; returns the attempt number (the fence) and what '
    'the task needs, or no row when the request is already finished or cancelled';

CREATE FUNCTION app.finish_ai_request(p_request_id uuid, p_attempt integer, p_status text,
                                      p_result text DEFAULT NULL, p_error text DEFAULT NULL,
                                      p_next_attempt_at timestamptz DEFAULT NULL,
                                      p_tokens_in integer DEFAULT 0, p_tokens_out integer DEFAULT 0,
                                      p_cost numeric DEFAULT 0, p_cache_hit boolean DEFAULT false)
RETURNS api.ai_requests
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    caller  uuid := app.current_user_id();
    request api.ai_requests;
BEGIN
    IF p_status NOT IN ('succeeded', 'failed', 'queued') THEN
        RAISE EXCEPTION 'an attempt ends succeeded, failed or queued (to retry), not %', p_status
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    UPDATE api.ai_requests r
    SET status = p_status,
        result = CASE WHEN p_status = 'succeeded' THEN p_result END,
        error = CASE WHEN p_status = 'failed' THEN coalesce(p_error, 'failed') END,
        last_error = coalesce(p_error, r.last_error),
        next_attempt_at = CASE WHEN p_status = 'queued' THEN p_next_attempt_at END,
        tokens_in = r.tokens_in + p_tokens_in, tokens_out = r.tokens_out + p_tokens_out,
        cost = r.cost + p_cost, cache_hit = p_cache_hit
    WHERE r.id = p_request_id AND r.status = 'running' AND r.attempts = p_attempt
      -- a signed-in caller (the sidecar's synchronous runs) finishes only its own job-less runs
      AND (caller IS NULL OR (r.job_id IS NULL AND r.requested_by = caller))
    RETURNING * INTO request;
    IF NOT FOUND THEN
        RAISE SQLSTATE 'PT409'
            USING MESSAGE = pg_catalog.format('AI request %s is not running attempt %s any more', p_request_id, p_attempt),
                  DETAIL = 'stale_attempt',
                  HINT = 'It was cancelled, finished, or retried by another worker; this attempt''s outcome is discarded.';
    END IF;
    RETURN request;
END
$$;
COMMENT ON FUNCTION app.finish_ai_request(uuid, integer, text, text, text, timestamptz, integer, integer, numeric, boolean) IS
    'End attempt p_attempt of a running request: succeeded (result), failed (error) or queued for a retry at '
    'p_next_attempt_at; PT409 (detail stale_attempt) when that attempt is no longer current';

CREATE FUNCTION app.start_sync_ai_request(p_prompt_id uuid, p_inputs jsonb DEFAULT '{}', p_version integer DEFAULT NULL)
RETURNS api.ai_requests
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    chosen  record;
    request api.ai_requests;
BEGIN
    IF app.current_user_id() IS NULL THEN
        RAISE EXCEPTION 'sign in to run prompts' USING ERRCODE = 'insufficient_privilege';
    END IF;
    SELECT v.id, v.workspace_id INTO chosen
    FROM api.prompt_versions v
    WHERE v.prompt_id = p_prompt_id AND (p_version IS NULL OR v.version = p_version)
      AND v.workspace_id = ANY (app.my_workspace_ids())
    ORDER BY v.version DESC
    LIMIT 1;
    IF NOT FOUND THEN
        RAISE SQLSTATE 'PT404'
            USING MESSAGE = CASE WHEN p_version IS NULL
                                 THEN pg_catalog.format('prompt %s not found, or it has no version', p_prompt_id)
                                 ELSE pg_catalog.format('prompt %s has no version %s', p_prompt_id, p_version) END;
    END IF;
    -- Running at once, attempt 1, no job: the caller (the sidecar) runs it now. The insert
    -- trigger still checks the caller's role in the workspace, the inputs and the quota.
    INSERT INTO api.ai_requests (workspace_id, prompt_version_id, inputs, status, attempts, started_at)
    VALUES (chosen.workspace_id, chosen.id, coalesce(p_inputs, '{}'), 'running', 1, pg_catalog.clock_timestamp())
    RETURNING * INTO request;
    RETURN request;
END
$$;
COMMENT ON FUNCTION app.start_sync_ai_request(uuid, jsonb, integer) IS
    'Record a synchronous run of a prompt (the sidecar''s /prompts/run): status running, attempt 1, no job; '
    'finish it with app.finish_ai_request. Errors as api.run_prompt.';

CREATE FUNCTION app.prune_events(p_keep interval DEFAULT '7 days')
RETURNS bigint
LANGUAGE sql
VOLATILE
SECURITY DEFINER
SET search_path = ''
AS $$
    WITH gone AS (DELETE FROM app.events e WHERE e.created_at < pg_catalog.now() - p_keep RETURNING 1)
    SELECT pg_catalog.count(*) FROM gone
$$;
COMMENT ON FUNCTION app.prune_events(interval) IS 'Delete outbox events older than p_keep; returns how many';

GRANT EXECUTE ON FUNCTION app.claim_ai_request(uuid, bigint), app.prune_events(interval) TO worker;
GRANT EXECUTE ON FUNCTION app.finish_ai_request(uuid, integer, text, text, text, timestamptz, integer, integer, numeric, boolean)
    TO worker, authenticated;
GRANT EXECUTE ON FUNCTION app.start_sync_ai_request(uuid, jsonb, integer) TO authenticated;

COMMIT;

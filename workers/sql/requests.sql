-- Statements of the AI request lifecycle (workers.ai_run). Run on the worker's connections:
-- role worker, procrastinate first on search_path; every name here is qualified.

-- name: claim
-- With the HTTP request id that deferred the job (app.job_requests), for the job's logs.
SELECT attempt, workspace_id, prompt_version_id, template, variables, model, params, inputs,
       requested_by, routes,
       (SELECT r.http_request_id FROM app.job_requests r WHERE r.job_id = %(job)s)
FROM app.claim_ai_request(%(request)s, %(job)s);

-- name: set_secrets_key
SELECT set_config('app.secrets_key', %s, true);

-- name: credential
SELECT app.provider_credential(%s, %s);

-- name: cache_lookup
SELECT app.cache_lookup(%s, %s);

-- name: cache_store
SELECT app.cache_store(%s, %s, %s, %s);

-- name: reserve
SELECT app.reserve_budget(%s, NULL, %s, %s);

-- name: release
SELECT app.release_budget(%s);

-- name: record_usage
SELECT id, cost FROM app.record_ai_usage(%s, %s, %s, 'job', %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s);

-- name: settle
-- After the ledger row committed: the counters (today's usage, the reservation) in a
-- transaction of their own that commits asynchronously; the periodic job settles what a
-- crash left unsettled.
SELECT app.settle_ai_usage(%s);

-- name: finish
SELECT status FROM app.finish_ai_request(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s);

-- Stored prompts as the caller sees them (RLS decides which), and synchronous runs.

-- name: prompt_version
-- The given version of a prompt, or its latest.
SELECT v.id, v.workspace_id, v.version, v.template, v.variables, v.model, v.params
FROM api.prompt_versions v
WHERE v.prompt_id = %(prompt_id)s
  AND (%(version)s::integer IS NULL OR v.version = %(version)s::integer)
ORDER BY v.version DESC
LIMIT 1;

-- name: start_run
-- An api.ai_requests row for a synchronous run: running, attempt 1, no job (the insert
-- trigger still checks the caller's role, the inputs and the quota).
SELECT r.id, r.workspace_id, r.prompt_version_id, r.attempts
FROM app.start_sync_ai_request(%(prompt_id)s, %(inputs)s, %(version)s) AS r;

-- name: finish_run
SELECT r.status
FROM app.finish_ai_request(%(request_id)s, %(attempt)s, %(status)s, %(result)s, %(error)s,
                           NULL, %(tokens_in)s, %(tokens_out)s, %(cost)s, %(cache_hit)s) AS r;

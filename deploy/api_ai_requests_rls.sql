-- Deploy taproot:api_ai_requests_rls to pg
-- requires: api_ai_requests, app_permissions
-- Members read their workspaces' requests; writers create them (api.run_prompt, or a POST
-- with prompt_version_id and inputs); the worker moves them along; nobody else updates one
-- (cancel through api.cancel_request).
BEGIN;

ALTER TABLE api.ai_requests ENABLE ROW LEVEL SECURITY;
ALTER TABLE api.ai_requests FORCE ROW LEVEL SECURITY;

GRANT SELECT, INSERT (workspace_id, prompt_version_id, inputs) ON api.ai_requests TO authenticated;
GRANT SELECT, INSERT, UPDATE, DELETE ON api.ai_requests TO service_role;
GRANT SELECT, UPDATE (status, result, error, attempts, tokens_in, tokens_out, cost, cache_hit,
                      started_at, finished_at)
    ON api.ai_requests TO worker;

CREATE POLICY "members read their workspaces' AI requests" ON api.ai_requests
    FOR SELECT TO authenticated
    USING (workspace_id = ANY ((SELECT app.my_workspace_ids())::uuid[]));
CREATE POLICY "writers request AI runs as themselves" ON api.ai_requests
    FOR INSERT TO authenticated
    WITH CHECK (workspace_id = ANY ((SELECT app.my_workspace_ids('{owner,admin,member}'))::uuid[])
                AND requested_by = (SELECT app.current_user_id()));

CREATE POLICY "the service role reads all AI requests" ON api.ai_requests
    FOR SELECT TO service_role USING (true);
CREATE POLICY "the service role creates AI requests" ON api.ai_requests
    FOR INSERT TO service_role WITH CHECK (true);
CREATE POLICY "the service role updates AI requests" ON api.ai_requests
    FOR UPDATE TO service_role USING (true) WITH CHECK (true);
CREATE POLICY "the service role deletes AI requests" ON api.ai_requests
    FOR DELETE TO service_role USING (true);
CREATE POLICY "the worker reads all AI requests" ON api.ai_requests
    FOR SELECT TO worker USING (true);
CREATE POLICY "the worker updates AI requests" ON api.ai_requests
    FOR UPDATE TO worker USING (true) WITH CHECK (true);

COMMIT;

-- Revert taproot:api_ai_requests_rls from pg
BEGIN;

DROP POLICY "the worker updates AI requests" ON api.ai_requests;
DROP POLICY "the worker reads all AI requests" ON api.ai_requests;
DROP POLICY "the service role deletes AI requests" ON api.ai_requests;
DROP POLICY "the service role updates AI requests" ON api.ai_requests;
DROP POLICY "the service role creates AI requests" ON api.ai_requests;
DROP POLICY "the service role reads all AI requests" ON api.ai_requests;
DROP POLICY "writers request AI runs as themselves" ON api.ai_requests;
DROP POLICY "members read their workspaces' AI requests" ON api.ai_requests;
REVOKE ALL ON api.ai_requests FROM authenticated, service_role, worker;
ALTER TABLE api.ai_requests NO FORCE ROW LEVEL SECURITY;
ALTER TABLE api.ai_requests DISABLE ROW LEVEL SECURITY;

COMMIT;

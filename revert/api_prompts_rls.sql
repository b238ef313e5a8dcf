-- Revert taproot:api_prompts_rls from pg
BEGIN;

DROP POLICY "the worker reads all prompts" ON api.prompts;
DROP POLICY "the service role deletes prompts" ON api.prompts;
DROP POLICY "the service role edits prompts" ON api.prompts;
DROP POLICY "the service role adds prompts" ON api.prompts;
DROP POLICY "the service role reads all prompts" ON api.prompts;
DROP POLICY "admins and owners delete prompts" ON api.prompts;
DROP POLICY "writers edit their workspaces' prompts" ON api.prompts;
DROP POLICY "writers add prompts as themselves" ON api.prompts;
DROP POLICY "members read their workspaces' prompts" ON api.prompts;
REVOKE ALL ON api.prompts FROM authenticated, service_role, worker;
ALTER TABLE api.prompts NO FORCE ROW LEVEL SECURITY;
ALTER TABLE api.prompts DISABLE ROW LEVEL SECURITY;

COMMIT;

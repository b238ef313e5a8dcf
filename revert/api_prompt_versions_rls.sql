-- Revert taproot:api_prompt_versions_rls from pg
BEGIN;

DROP POLICY "the worker reads all prompt versions" ON api.prompt_versions;
DROP POLICY "the service role adds prompt versions" ON api.prompt_versions;
DROP POLICY "the service role reads all prompt versions" ON api.prompt_versions;
DROP POLICY "writers add prompt versions as themselves" ON api.prompt_versions;
DROP POLICY "members read their workspaces' prompt versions" ON api.prompt_versions;
REVOKE ALL ON api.prompt_versions FROM authenticated, service_role, worker;
ALTER TABLE api.prompt_versions NO FORCE ROW LEVEL SECURITY;
ALTER TABLE api.prompt_versions DISABLE ROW LEVEL SECURITY;

COMMIT;

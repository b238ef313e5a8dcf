-- Revert taproot:api_workspaces_rls from pg
BEGIN;

DROP POLICY "the service role deletes workspaces" ON api.workspaces;
DROP POLICY "the service role updates workspaces" ON api.workspaces;
DROP POLICY "the service role creates workspaces" ON api.workspaces;
DROP POLICY "the service role reads all workspaces" ON api.workspaces;
DROP POLICY "owners delete their workspaces" ON api.workspaces;
DROP POLICY "admins and owners rename their workspaces" ON api.workspaces;
DROP POLICY "members see their workspaces" ON api.workspaces;
REVOKE ALL ON api.workspaces FROM authenticated, service_role;
ALTER TABLE api.workspaces NO FORCE ROW LEVEL SECURITY;
ALTER TABLE api.workspaces DISABLE ROW LEVEL SECURITY;

COMMIT;

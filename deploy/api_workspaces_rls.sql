-- Deploy taproot:api_workspaces_rls to pg
-- requires: api_workspaces, app_permissions
-- Members see their workspaces; admins rename them; owners delete them. Creating one goes
-- through api.create_workspace(), which also makes the caller owner.
BEGIN;

ALTER TABLE api.workspaces ENABLE ROW LEVEL SECURITY;
ALTER TABLE api.workspaces FORCE ROW LEVEL SECURITY;

GRANT SELECT, UPDATE (name), DELETE ON api.workspaces TO authenticated;
GRANT SELECT, INSERT, UPDATE, DELETE ON api.workspaces TO service_role;

CREATE POLICY "members see their workspaces" ON api.workspaces
    FOR SELECT TO authenticated
    USING (id = ANY ((SELECT app.my_workspace_ids())::uuid[]));
CREATE POLICY "admins and owners rename their workspaces" ON api.workspaces
    FOR UPDATE TO authenticated
    USING (id = ANY ((SELECT app.my_workspace_ids('{owner,admin}'))::uuid[]))
    WITH CHECK (id = ANY ((SELECT app.my_workspace_ids('{owner,admin}'))::uuid[]));
CREATE POLICY "owners delete their workspaces" ON api.workspaces
    FOR DELETE TO authenticated
    USING (id = ANY ((SELECT app.my_workspace_ids('{owner}'))::uuid[]));

CREATE POLICY "the service role reads all workspaces" ON api.workspaces
    FOR SELECT TO service_role USING (true);
CREATE POLICY "the service role creates workspaces" ON api.workspaces
    FOR INSERT TO service_role WITH CHECK (true);
CREATE POLICY "the service role updates workspaces" ON api.workspaces
    FOR UPDATE TO service_role USING (true) WITH CHECK (true);
CREATE POLICY "the service role deletes workspaces" ON api.workspaces
    FOR DELETE TO service_role USING (true);

COMMIT;

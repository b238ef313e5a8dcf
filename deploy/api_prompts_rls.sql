-- Deploy taproot:api_prompts_rls to pg
-- requires: api_prompts, app_permissions
-- Members read prompts; owners, admins and members write them; admins and owners delete.
BEGIN;

ALTER TABLE api.prompts ENABLE ROW LEVEL SECURITY;
ALTER TABLE api.prompts FORCE ROW LEVEL SECURITY;

GRANT SELECT, INSERT (workspace_id, name, description), UPDATE (name, description), DELETE
    ON api.prompts TO authenticated;
GRANT SELECT, INSERT, UPDATE, DELETE ON api.prompts TO service_role;
GRANT SELECT ON api.prompts TO worker;

CREATE POLICY "members read their workspaces' prompts" ON api.prompts
    FOR SELECT TO authenticated
    USING (workspace_id = ANY ((SELECT app.my_workspace_ids())::uuid[]));
CREATE POLICY "writers add prompts as themselves" ON api.prompts
    FOR INSERT TO authenticated
    WITH CHECK (workspace_id = ANY ((SELECT app.my_workspace_ids('{owner,admin,member}'))::uuid[])
                AND created_by = (SELECT app.current_user_id()));
CREATE POLICY "writers edit their workspaces' prompts" ON api.prompts
    FOR UPDATE TO authenticated
    USING (workspace_id = ANY ((SELECT app.my_workspace_ids('{owner,admin,member}'))::uuid[]))
    WITH CHECK (workspace_id = ANY ((SELECT app.my_workspace_ids('{owner,admin,member}'))::uuid[]));
CREATE POLICY "admins and owners delete prompts" ON api.prompts
    FOR DELETE TO authenticated
    USING (workspace_id = ANY ((SELECT app.my_workspace_ids('{owner,admin}'))::uuid[]));

CREATE POLICY "the service role reads all prompts" ON api.prompts
    FOR SELECT TO service_role USING (true);
CREATE POLICY "the service role adds prompts" ON api.prompts
    FOR INSERT TO service_role WITH CHECK (true);
CREATE POLICY "the service role edits prompts" ON api.prompts
    FOR UPDATE TO service_role USING (true) WITH CHECK (true);
CREATE POLICY "the service role deletes prompts" ON api.prompts
    FOR DELETE TO service_role USING (true);
CREATE POLICY "the worker reads all prompts" ON api.prompts
    FOR SELECT TO worker USING (true);

COMMIT;

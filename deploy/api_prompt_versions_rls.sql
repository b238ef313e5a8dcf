-- Deploy taproot:api_prompt_versions_rls to pg
-- requires: api_prompt_versions, app_permissions
-- Members read versions; writers add them. Nobody updates or deletes one (deleting the
-- prompt removes its versions, unless AI requests still refer to them).
BEGIN;

ALTER TABLE api.prompt_versions ENABLE ROW LEVEL SECURITY;
ALTER TABLE api.prompt_versions FORCE ROW LEVEL SECURITY;

GRANT SELECT, INSERT (prompt_id, template, variables, model, params) ON api.prompt_versions
    TO authenticated;
GRANT SELECT, INSERT ON api.prompt_versions TO service_role;
GRANT SELECT ON api.prompt_versions TO worker;

CREATE POLICY "members read their workspaces' prompt versions" ON api.prompt_versions
    FOR SELECT TO authenticated
    USING (workspace_id = ANY ((SELECT app.my_workspace_ids())::uuid[]));
CREATE POLICY "writers add prompt versions as themselves" ON api.prompt_versions
    FOR INSERT TO authenticated
    WITH CHECK (workspace_id = ANY ((SELECT app.my_workspace_ids('{owner,admin,member}'))::uuid[])
                AND created_by = (SELECT app.current_user_id()));
CREATE POLICY "the service role reads all prompt versions" ON api.prompt_versions
    FOR SELECT TO service_role USING (true);
CREATE POLICY "the service role adds prompt versions" ON api.prompt_versions
    FOR INSERT TO service_role WITH CHECK (true);
CREATE POLICY "the worker reads all prompt versions" ON api.prompt_versions
    FOR SELECT TO worker USING (true);

COMMIT;

-- Deploy taproot:app_audit_log_rls to pg
-- requires: app_audit_log, app_permissions
-- Admins read their workspaces' trail, users their own auth events, the service role all.
-- Nobody writes directly: entries come from definer functions and triggers only.
BEGIN;

ALTER TABLE app.audit_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.audit_log FORCE ROW LEVEL SECURITY;

GRANT SELECT ON app.audit_log TO authenticated, service_role;

CREATE POLICY "admins read their workspaces' trail, users their own" ON app.audit_log
    FOR SELECT TO authenticated
    USING (workspace_id = ANY ((SELECT app.my_workspace_ids('{owner,admin}'))::uuid[])
           OR (workspace_id IS NULL AND actor_id = (SELECT app.current_user_id())));
CREATE POLICY "the service role reads the whole audit log" ON app.audit_log
    FOR SELECT TO service_role USING (true);

COMMIT;

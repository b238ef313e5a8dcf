-- Deploy taproot:api_audit_log to pg
-- requires: app_audit_log_rls
-- The audit trail over REST: admins and owners read their workspaces' entries, everyone
-- their own auth events (the policies of app.audit_log apply: security_invoker).
BEGIN;

CREATE VIEW api.audit_log WITH (security_invoker = true) AS
    SELECT id, at, actor_id, actor_role, workspace_id, action, target_type, target_id, details
    FROM app.audit_log;
COMMENT ON VIEW api.audit_log IS
    'Audit trail: your own auth events, and your workspaces'' admin actions if you are admin or owner';
GRANT SELECT ON api.audit_log TO authenticated, service_role;

COMMIT;

-- Revert taproot:app_audit_log_rls from pg
BEGIN;

DROP POLICY "the service role reads the whole audit log" ON app.audit_log;
DROP POLICY "admins read their workspaces' trail, users their own" ON app.audit_log;
REVOKE ALL ON app.audit_log FROM authenticated, service_role;
ALTER TABLE app.audit_log NO FORCE ROW LEVEL SECURITY;
ALTER TABLE app.audit_log DISABLE ROW LEVEL SECURITY;

COMMIT;

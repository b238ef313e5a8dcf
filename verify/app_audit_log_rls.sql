-- Verify taproot:app_audit_log_rls on pg
BEGIN;

SELECT 1 / count(*) FROM pg_class
WHERE oid = 'app.audit_log'::regclass AND relrowsecurity AND relforcerowsecurity;
SELECT 1 / (NOT has_table_privilege('authenticated', 'app.audit_log', 'insert'))::int;

ROLLBACK;

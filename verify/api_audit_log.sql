-- Verify taproot:api_audit_log on pg
BEGIN;

SELECT id, at, actor_id, actor_role, workspace_id, action, target_type, target_id, details
FROM api.audit_log WHERE false;
SELECT 1 / (NOT has_table_privilege('anon', 'api.audit_log', 'select'))::int;

ROLLBACK;

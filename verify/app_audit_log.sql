-- Verify taproot:app_audit_log on pg
BEGIN;

SELECT id, at, actor_id, actor_role, workspace_id, action, target_type, target_id, details
FROM app.audit_log WHERE false;
SELECT 'app.audit(text, uuid, text, uuid, jsonb, uuid)'::regprocedure;
SELECT 'app.audit_row_change()'::regprocedure;

ROLLBACK;

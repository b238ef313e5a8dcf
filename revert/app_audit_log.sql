-- Revert taproot:app_audit_log from pg
BEGIN;

DROP FUNCTION app.audit_row_change();
DROP FUNCTION app.audit(text, uuid, text, uuid, jsonb, uuid);
DROP TABLE app.audit_log;

COMMIT;

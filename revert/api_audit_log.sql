-- Revert taproot:api_audit_log from pg
BEGIN;

DROP VIEW api.audit_log;

COMMIT;

-- Revert taproot:reporting_usage_by_workspace from pg
BEGIN;

DROP VIEW reporting.usage_by_workspace;

COMMIT;

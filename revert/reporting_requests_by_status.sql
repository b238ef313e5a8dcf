-- Revert taproot:reporting_requests_by_status from pg
BEGIN;

DROP VIEW reporting.requests_by_status;

COMMIT;

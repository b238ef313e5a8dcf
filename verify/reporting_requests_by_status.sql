-- Verify taproot:reporting_requests_by_status on pg
BEGIN;

SELECT day, workspace_id, workspace_name, status, requests, cache_hits, attempts
FROM reporting.requests_by_status WHERE false;

ROLLBACK;

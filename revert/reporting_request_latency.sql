-- Revert taproot:reporting_request_latency from pg
BEGIN;

DROP VIEW reporting.request_latency;

COMMIT;

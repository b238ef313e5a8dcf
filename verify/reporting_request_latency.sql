-- Verify taproot:reporting_request_latency on pg
BEGIN;

SELECT day, model, requests, queue_p50_ms, queue_p95_ms, run_p50_ms, run_p95_ms, run_p99_ms,
       total_p50_ms, total_p95_ms, total_p99_ms
FROM reporting.request_latency WHERE false;

ROLLBACK;

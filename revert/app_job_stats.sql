-- Revert taproot:app_job_stats from pg
BEGIN;

DROP FUNCTION app.rollup_usage(date);
DROP VIEW api.ai_request_stats;
DROP VIEW reporting.job_latency;
DROP VIEW reporting.job_queues;
DROP VIEW app.job_queue_stats;

COMMIT;

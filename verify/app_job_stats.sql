-- Verify taproot:app_job_stats on pg
BEGIN;

SELECT queue, todo, doing, succeeded, failed, cancelled, aborted, runnable, lag_seconds FROM app.job_queue_stats WHERE false;
SELECT queue, lag_seconds FROM reporting.job_queues WHERE false;
SELECT day, queue, task, jobs, wait_p99_ms, run_p99_ms FROM reporting.job_latency WHERE false;
SELECT workspace_id, status, requests, wait_p99_ms FROM api.ai_request_stats WHERE false;
SELECT 'app.rollup_usage(date)'::regprocedure;

ROLLBACK;

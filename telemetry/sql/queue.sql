-- name: stats
-- Per queue: jobs by status, runnable jobs and the lag (deploy/app_job_stats.sql).
SELECT queue, todo, doing, succeeded, failed, cancelled, aborted, runnable, lag_seconds
FROM app.job_queue_stats;

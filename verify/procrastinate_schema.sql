-- Verify taproot:procrastinate_schema on pg
BEGIN;

SELECT id, queue_name, task_name, status, attempts, worker_id FROM procrastinate.procrastinate_jobs WHERE false;
SELECT id, last_heartbeat FROM procrastinate.procrastinate_workers WHERE false;
SELECT 'procrastinate.procrastinate_defer_jobs_v1(procrastinate.procrastinate_job_to_defer_v1[])'::regprocedure;
SELECT 'procrastinate.procrastinate_fetch_job_v2(character varying[], bigint)'::regprocedure;

ROLLBACK;

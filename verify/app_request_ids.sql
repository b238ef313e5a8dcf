-- Verify taproot:app_request_ids on pg
BEGIN;

SELECT http_request_id FROM app.audit_log WHERE false;
SELECT job_id, http_request_id FROM app.job_requests WHERE false;
SELECT 'app.current_request_id()'::regprocedure, 'app.remember_job_request()'::regprocedure;
SELECT 1 / count(*) FROM pg_catalog.pg_trigger
WHERE tgname = 'taproot_job_request' AND tgrelid = 'procrastinate.procrastinate_jobs'::regclass;

ROLLBACK;

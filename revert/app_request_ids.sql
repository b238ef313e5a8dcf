-- Revert taproot:app_request_ids from pg
BEGIN;

DROP TRIGGER taproot_job_request ON procrastinate.procrastinate_jobs;
DROP FUNCTION app.remember_job_request();
DROP TABLE app.job_requests;
ALTER TABLE app.audit_log DROP COLUMN http_request_id;
DROP FUNCTION app.current_request_id();

COMMIT;

-- Verify taproot:app_mail on pg
BEGIN;

SELECT id, template, recipient, data, status, attempts, last_error, job_id, http_request_id, created_at, sent_at
FROM app.mail_messages WHERE false;
SELECT 'app.queue_mail(text, text, jsonb)'::regprocedure;
SELECT 'app.claim_mail(bigint)'::regprocedure;
SELECT 'app.finish_mail(bigint, text, text)'::regprocedure;
SELECT 1 / (NOT has_function_privilege('authenticated', 'app.queue_mail(text, text, jsonb)', 'EXECUTE'))::int;

ROLLBACK;

-- Verify taproot:app_mail_prune on pg
BEGIN;

SELECT 1 / has_function_privilege('worker', 'app.prune_mail(interval)', 'EXECUTE')::int;
SELECT 1 / (NOT has_function_privilege('authenticated', 'app.prune_mail(interval)', 'EXECUTE'))::int;

ROLLBACK;

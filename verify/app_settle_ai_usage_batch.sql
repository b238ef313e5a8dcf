-- Verify taproot:app_settle_ai_usage_batch on pg
BEGIN;

SELECT 1 / has_function_privilege('authenticated', 'app.settle_ai_usage(bigint[])', 'execute')::int;
SELECT 1 / (pg_catalog.pg_get_functiondef('app.settle_ai_usage(bigint[])'::regprocedure)
            LIKE '%app.commit_asynchronously()%')::int;

ROLLBACK;

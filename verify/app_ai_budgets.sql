-- Verify taproot:app_ai_budgets on pg
BEGIN;

SELECT tokens_reserved FROM api.usage_daily WHERE false;
SELECT id, workspace_id, day, api_key_id, tokens, request_id, created_at, expires_at
FROM app.budget_reservations WHERE false;
SELECT 1 / has_function_privilege('worker', 'app.reserve_budget(uuid, uuid, bigint, uuid, interval)', 'execute')::int;
SELECT 1 / has_function_privilege('authenticated', 'app.release_budget(uuid)', 'execute')::int;
SELECT 1 / has_function_privilege('worker', 'app.release_expired_reservations()', 'execute')::int;
SELECT 1 / (pg_catalog.pg_get_functiondef('app.check_token_quota(uuid)'::regprocedure) LIKE '%tokens_reserved%')::int;
SELECT 1 / (pg_catalog.pg_get_functiondef('app.reserve_budget(uuid, uuid, bigint, uuid, interval)'::regprocedure)
            LIKE '%app.commit_asynchronously()%')::int;

ROLLBACK;

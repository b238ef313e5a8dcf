-- Verify taproot:api_usage_daily on pg
BEGIN;

SELECT workspace_id, day, requests, tokens_in, tokens_out, cost, cache_hits FROM api.usage_daily WHERE false;
SELECT 1 / has_function_privilege('worker', 'app.check_token_quota(uuid)', 'execute')::int;
SELECT 1 / count(*) FROM pg_class
WHERE oid = 'api.usage_daily'::regclass AND relrowsecurity AND relforcerowsecurity;

ROLLBACK;

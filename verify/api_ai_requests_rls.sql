-- Verify taproot:api_ai_requests_rls on pg
BEGIN;

SELECT 1 / count(*) FROM pg_class
WHERE oid = 'api.ai_requests'::regclass AND relrowsecurity AND relforcerowsecurity;
SELECT 1 / (NOT has_column_privilege('authenticated', 'api.ai_requests', 'status', 'update'))::int;
SELECT 1 / has_column_privilege('worker', 'api.ai_requests', 'status', 'update')::int;

ROLLBACK;

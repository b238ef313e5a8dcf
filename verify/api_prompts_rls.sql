-- Verify taproot:api_prompts_rls on pg
BEGIN;

SELECT 1 / count(*) FROM pg_class
WHERE oid = 'api.prompts'::regclass AND relrowsecurity AND relforcerowsecurity;
SELECT 1 / has_table_privilege('authenticated', 'api.prompts', 'select')::int;

ROLLBACK;

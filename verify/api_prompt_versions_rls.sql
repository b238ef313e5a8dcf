-- Verify taproot:api_prompt_versions_rls on pg
BEGIN;

SELECT 1 / count(*) FROM pg_class
WHERE oid = 'api.prompt_versions'::regclass AND relrowsecurity AND relforcerowsecurity;
SELECT 1 / (NOT has_table_privilege('authenticated', 'api.prompt_versions', 'update'))::int;

ROLLBACK;

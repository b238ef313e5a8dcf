-- Verify taproot:api_workspaces_rls on pg
BEGIN;

SELECT 1 / count(*) FROM pg_class
WHERE oid = 'api.workspaces'::regclass AND relrowsecurity AND relforcerowsecurity;
SELECT 1 / has_table_privilege('authenticated', 'api.workspaces', 'select')::int;
SELECT 1 / (NOT has_table_privilege('authenticated', 'api.workspaces', 'insert'))::int;

ROLLBACK;

-- Verify taproot:api_users_rls on pg
BEGIN;

SELECT 1 / count(*) FROM pg_class
WHERE oid = 'api.users'::regclass AND relrowsecurity AND relforcerowsecurity;
SELECT 1 / has_table_privilege('authenticated', 'api.users', 'select')::int;
SELECT 1 / (NOT has_table_privilege('anon', 'api.users', 'insert'))::int;

ROLLBACK;

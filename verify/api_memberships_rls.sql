-- Verify taproot:api_memberships_rls on pg
BEGIN;

SELECT 1 / count(*) FROM pg_class
WHERE oid = 'api.memberships'::regclass AND relrowsecurity AND relforcerowsecurity;
SELECT 1 / has_table_privilege('authenticated', 'api.memberships', 'select')::int;

ROLLBACK;

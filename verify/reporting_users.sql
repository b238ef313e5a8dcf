-- Verify taproot:reporting_users on pg
BEGIN;

SELECT id, email_masked, status, workspaces, created_at FROM reporting.users WHERE false;
SELECT 1 / has_table_privilege('analyst', 'reporting.users', 'select')::int;

ROLLBACK;

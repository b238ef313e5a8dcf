-- Verify taproot:app_permissions on pg
BEGIN;

SELECT 1 / has_function_privilege('authenticated', 'app.my_workspace_ids()', 'execute')::int;
SELECT 1 / has_function_privilege('authenticated', 'app.my_workspace_ids(text[])', 'execute')::int;
SELECT 1 / has_function_privilege('authenticated', 'app.has_workspace_role(uuid, text[])', 'execute')::int;
SELECT 1 / has_function_privilege('authenticated', 'app.co_member_ids()', 'execute')::int;
SELECT 1 / has_function_privilege('authenticated', 'app.is_admin_somewhere()', 'execute')::int;
SELECT 1 / (NOT has_function_privilege('anon', 'app.my_workspace_ids()', 'execute'))::int;

ROLLBACK;

-- Verify taproot:api_invite_member on pg
BEGIN;

SELECT 1 / has_function_privilege('authenticated', 'api.invite_member(uuid, text, text, text)', 'execute')::int;
SELECT 1 / (NOT has_function_privilege('anon', 'api.invite_member(uuid, text, text, text)', 'execute'))::int;

ROLLBACK;

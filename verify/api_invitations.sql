-- Verify taproot:api_invitations on pg
BEGIN;

SELECT id, workspace_id, workspace_name, user_id, email, name, role, invited_by, created_at, expires_at, status,
       accepted_at, revoked_at
FROM api.invitations WHERE false;
SELECT 1 / has_function_privilege('anon', 'api.accept_invitation(text, text, text)', 'execute')::int;
SELECT 1 / has_function_privilege('authenticated', 'api.resend_invitation(uuid)', 'execute')::int;
SELECT 1 / has_function_privilege('authenticated', 'api.revoke_invitation(uuid)', 'execute')::int;
SELECT 1 / (NOT has_function_privilege('anon', 'api.revoke_invitation(uuid)', 'execute'))::int;
SELECT 1 / (NOT has_table_privilege('anon', 'api.invitations', 'select'))::int;
SELECT 1 / (pg_catalog.pg_get_functiondef('api.invite_member(uuid, text, text, text)'::regprocedure)
            LIKE '%auth.send_invitation%')::int;
SELECT 1 / count(*)::int FROM pg_catalog.pg_trigger WHERE tgname = 'users_invite' AND tgrelid = 'api.users'::regclass;

ROLLBACK;

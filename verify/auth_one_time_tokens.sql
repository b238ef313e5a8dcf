-- Verify taproot:auth_one_time_tokens on pg
BEGIN;

SELECT id, kind, user_id, email, invitation_id, digest, created_at, expires_at, used_at, revoked_at
FROM auth.one_time_tokens WHERE false;
SELECT id, workspace_id, user_id, email, role, invited_by, created_at, accepted_at, revoked_at, revoked_by
FROM app.invitations WHERE false;
SELECT email_verified_at FROM auth.credentials WHERE false;
SELECT 'auth.issue_token(text, uuid, text, uuid)'::regprocedure, 'auth.find_token(text[], text)'::regprocedure,
       'auth.throttle(text, text, double precision)'::regprocedure, 'auth.require_verified_email()'::regprocedure;
SELECT 1 / (NOT has_function_privilege('anon', 'auth.issue_token(text, uuid, text, uuid)', 'execute'))::int;
SELECT 1 / (NOT has_table_privilege('authenticated', 'auth.one_time_tokens', 'select'))::int;

ROLLBACK;

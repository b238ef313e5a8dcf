-- Verify taproot:auth_credentials on pg
BEGIN;

SELECT user_id, password_hash, status, created_at, updated_at FROM auth.credentials WHERE false;
SELECT id, user_id, created_at, refreshed_at, revoked_at, revoked_reason FROM auth.sessions WHERE false;
SELECT token_hash, session_id, issued_at, expires_at, used_at FROM auth.refresh_tokens WHERE false;
SELECT id, email, succeeded, attempted_at FROM auth.login_attempts WHERE false;
SELECT 1 / (NOT has_table_privilege('authenticated', 'auth.credentials', 'select'))::int;

ROLLBACK;

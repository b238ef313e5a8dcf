-- Verify taproot:auth_passwords on pg
BEGIN;

SELECT 'auth.check_password_policy(text, text)'::regprocedure;
SELECT 1 / (NOT has_function_privilege('authenticated', 'auth.set_password(uuid, text)', 'execute'))::int;

ROLLBACK;

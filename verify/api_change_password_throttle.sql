-- Verify taproot:api_change_password_throttle on pg
BEGIN;

SELECT 1 / (p.prorettype = 'json'::regtype)::int
FROM pg_catalog.pg_proc p WHERE p.oid = 'api.change_password(text, text)'::regprocedure;
SELECT 1 / (pg_catalog.pg_get_functiondef('api.change_password(text, text)'::regprocedure)
            LIKE '%INSERT INTO auth.login_attempts (email, succeeded) VALUES (attempt_email, false)%')::int;
SELECT 1 / has_function_privilege('authenticated', 'api.change_password(text, text)', 'execute')::int;
SELECT 1 / (NOT has_function_privilege('anon', 'api.change_password(text, text)', 'execute'))::int;

ROLLBACK;

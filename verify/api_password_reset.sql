-- Verify taproot:api_password_reset on pg
BEGIN;

SELECT 1 / has_function_privilege('anon', 'api.request_password_reset(text)', 'execute')::int;
SELECT 1 / has_function_privilege('anon', 'api.reset_password(text, text)', 'execute')::int;
SELECT 1 / (pg_catalog.pg_get_functiondef('api.reset_password(text, text)'::regprocedure)
            LIKE '%revoked_reason = ''password reset''%')::int;

ROLLBACK;

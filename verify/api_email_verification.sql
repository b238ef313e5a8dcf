-- Verify taproot:api_email_verification on pg
BEGIN;

SELECT 1 / (pg_catalog.pg_get_functiondef('api.signup(text, text, text)'::regprocedure)
            LIKE '%this email has a pending invitation%')::int;
SELECT 1 / (pg_catalog.pg_get_functiondef('api.login(text, text)'::regprocedure)
            LIKE '%auth.require_verified_email()%')::int;
SELECT 1 / has_function_privilege('anon', 'api.verify_email(text)', 'execute')::int;
SELECT 1 / has_function_privilege('authenticated', 'api.change_email(text)', 'execute')::int;
SELECT 1 / (NOT has_function_privilege('anon', 'api.change_email(text)', 'execute'))::int;

ROLLBACK;

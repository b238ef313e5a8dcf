-- Verify taproot:auth_jwt on pg
BEGIN;

SELECT 1 / count(*) FROM auth.jwt_secret WHERE length(secret) >= 32;
SELECT 1 / (NOT has_function_privilege('anon', 'auth.jwt_secret()', 'execute'))::int;
SELECT 1 / (NOT has_function_privilege('authenticated', 'auth.jwt_secret()', 'execute'))::int;
SELECT 1 / (NOT has_function_privilege('analyst', 'auth.jwt_secret()', 'execute'))::int;
SELECT 1 / (NOT has_table_privilege('authenticated', 'auth.jwt_secret', 'select'))::int;
SELECT 'auth.sign_jwt(jsonb)'::regprocedure, 'auth.set_jwt_secret(text)'::regprocedure;

ROLLBACK;

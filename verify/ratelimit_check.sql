-- Verify taproot:ratelimit_check on pg
BEGIN;

SELECT 'ratelimit.check(text, double precision, double precision, double precision)'::regprocedure;
SELECT 1/pg_catalog.has_function_privilege('authenticator',
    'ratelimit.check(text, double precision, double precision, double precision)', 'EXECUTE')::int;

ROLLBACK;

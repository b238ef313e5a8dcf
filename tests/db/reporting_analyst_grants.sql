-- The analyst writes nothing, not even temporary objects once they turn read-only off.
BEGIN;
SELECT plan(5);

SELECT ok(NOT has_database_privilege('analyst', current_database(), 'TEMPORARY'),
          'the analyst has no TEMPORARY privilege on the database');
SELECT ok(NOT has_database_privilege('public', current_database(), 'TEMPORARY'),
          'PUBLIC no longer holds TEMPORARY');
SELECT is(ARRAY(SELECT r FROM unnest(ARRAY['authenticator', 'anon', 'authenticated', 'service_role', 'worker']) r
                WHERE NOT has_database_privilege(r, current_database(), 'TEMPORARY')),
          '{}'::text[], 'the gateway, sidecar and worker roles keep it');

SELECT set_config('role', 'analyst', true);
SET LOCAL transaction_read_only = off;
SELECT throws_ok('CREATE TEMP TABLE analyst_scratch (x int)', '42501', NULL,
                 'an analyst who turned read-only off still cannot create a temporary table');
SELECT throws_ok($$CREATE FUNCTION pg_temp.analyst_fn() RETURNS int LANGUAGE sql AS 'SELECT 1'$$, '42501', NULL,
                 'nor a temporary function');
RESET role;

SELECT * FROM finish();
ROLLBACK;

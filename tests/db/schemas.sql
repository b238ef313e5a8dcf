-- The base schemas and roles: who may see what before any table exists.
BEGIN;
SELECT plan(14);

SELECT has_schema('api');
SELECT has_schema('app');
SELECT has_schema('auth');
SELECT has_schema('reporting');

SELECT has_role(r) FROM unnest(ARRAY['anon', 'authenticated', 'service_role', 'worker']) AS r;
SELECT is((SELECT rolcanlogin AND NOT rolinherit FROM pg_roles WHERE rolname = 'authenticator'),
          true, 'authenticator logs in and does not inherit');
SELECT ok(pg_has_role('authenticator', 'anon', 'MEMBER'), 'authenticator can switch to anon');
SELECT ok(NOT has_schema_privilege('anon', 'auth', 'USAGE'), 'anon cannot enter schema auth');
SELECT ok(NOT has_schema_privilege('authenticated', 'auth', 'USAGE'),
          'authenticated cannot enter schema auth');
SELECT ok(has_schema_privilege('analyst', 'reporting', 'USAGE'), 'analyst reads schema reporting');
SELECT ok(NOT has_schema_privilege('analyst', 'api', 'USAGE'), 'analyst has no access to api');

SELECT * FROM finish();
ROLLBACK;

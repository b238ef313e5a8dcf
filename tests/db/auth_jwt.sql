-- The signing secret: generated at deploy, at least 32 characters, owner-only.
BEGIN;
SELECT plan(11);

SELECT ok(length(auth.jwt_secret()) >= 32, 'a secret of at least 32 characters exists after deploy');
SELECT throws_ok($$SELECT auth.set_jwt_secret('too short')$$, '22023',
                 'the JWT secret must be at least 32 characters', 'short secrets are refused');
SELECT lives_ok($$SELECT auth.set_jwt_secret(repeat('s', 40))$$, 'the owner can set the secret');
SELECT is(auth.jwt_secret(), repeat('s', 40), 'and read it back');
SELECT ok(NOT has_function_privilege(r, 'auth.jwt_secret()', 'EXECUTE'), r || ' cannot call auth.jwt_secret()')
FROM unnest(ARRAY['anon', 'authenticated', 'service_role', 'worker', 'analyst']) AS r;
SELECT ok(NOT has_function_privilege('authenticated', 'auth.set_jwt_secret(text)', 'EXECUTE'),
          'authenticated cannot call auth.set_jwt_secret()');
SELECT tests.authenticate_as('authenticated');
SELECT throws_ok('SELECT auth.jwt_secret()', '42501', NULL, 'a signed-in user reading the secret is refused');

SELECT * FROM finish();
ROLLBACK;

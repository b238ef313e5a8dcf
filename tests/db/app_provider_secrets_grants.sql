-- app.provider_secret(): only the worker decrypts; nobody else, not even the service role.
BEGIN;
SELECT plan(7);
SELECT tests.make_world();

SELECT tests.authenticate_as('service_role');
SELECT set_config('app.secrets_key', repeat('k', 40), true);
SELECT lives_ok($$SELECT api.set_provider_secret(tests.uid('workspace_a'), 'openai', 'sk-live-secret-1234')$$,
                'the service role still sets a secret');
SELECT is((SELECT key_hint FROM api.provider_secrets WHERE workspace_id = tests.uid('workspace_a')), '…1234',
          'and lists its metadata');
SELECT throws_ok($$SELECT app.provider_secret(tests.uid('workspace_a'), 'openai')$$, '42501', NULL,
                 'the service role cannot decrypt, even with the key set');

SELECT tests.authenticate_as('worker');
SELECT is(app.provider_secret(tests.uid('workspace_a'), 'openai'), 'sk-live-secret-1234', 'the worker decrypts');

SELECT tests.clear_authentication();
SELECT ok(NOT has_function_privilege('service_role', 'app.provider_secret(uuid, text)', 'execute'),
          'service_role has no EXECUTE on app.provider_secret');
SELECT is(ARRAY(SELECT r FROM unnest(ARRAY['anon', 'authenticated', 'service_role', 'worker', 'analyst']) r
                WHERE has_function_privilege(r, 'app.provider_secret(uuid, text)', 'execute')),
          ARRAY['worker'], 'the worker is the only client role that may call it');
SELECT ok(has_function_privilege('service_role', 'api.set_provider_secret(uuid, text, text)', 'execute'),
          'service_role keeps api.set_provider_secret');

SELECT * FROM finish();
ROLLBACK;

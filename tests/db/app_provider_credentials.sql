-- app.provider_credential(): the worker and the workspace's writers (or its API key) get the
-- decrypted credential; viewers, other workspaces, the service role and anon do not.
BEGIN;
SELECT plan(12);
SELECT tests.make_world();
SELECT set_config('app.secrets_key', repeat('k', 40), true);
SELECT tests.authenticate_as('service_role');
SELECT api.set_provider_secret(tests.uid('workspace_a'), 'openai', 'sk-workspace-a-1234');
SELECT tests.clear_authentication();
CREATE TEMP TABLE t_ids (label text PRIMARY KEY, id uuid);
GRANT ALL ON t_ids TO PUBLIC;
SELECT set_config('request.jwt.claims', jsonb_build_object('sub', tests.uid('admin_a'))::text, true);
INSERT INTO t_ids VALUES ('key_a', (api.create_api_key(tests.uid('workspace_a'), 'a') ->> 'id')::uuid);

SELECT tests.authenticate_as('worker');
SELECT is(app.provider_credential(tests.uid('workspace_a'), 'openai'), 'sk-workspace-a-1234', 'the worker decrypts');
SELECT tests.login_as('member_a');
SELECT is(app.provider_credential(tests.uid('workspace_a'), 'openai'), 'sk-workspace-a-1234',
          'a member decrypts for a call in their workspace');
SELECT is(app.provider_credential(tests.uid('workspace_a'), 'anthropic'), NULL, 'no secret for a provider: NULL');
SELECT tests.authenticate_as('authenticated', jsonb_build_object('sub', tests.uid('admin_a'),
       'api_key_id', (SELECT id FROM t_ids WHERE label = 'key_a'), 'workspace_id', tests.uid('workspace_a')));
SELECT is(app.provider_credential(tests.uid('workspace_a'), 'openai'), 'sk-workspace-a-1234', 'so does the workspace''s API key');
SELECT throws_ok($$SELECT app.provider_credential(tests.uid('workspace_b'), 'openai')$$, '42501', NULL,
                 'but not for another workspace');
SELECT tests.login_as('viewer_a');
SELECT throws_ok($$SELECT app.provider_credential(tests.uid('workspace_a'), 'openai')$$, '42501', NULL, 'viewers cannot');
SELECT tests.login_as('member_b');
SELECT throws_ok($$SELECT app.provider_credential(tests.uid('workspace_a'), 'openai')$$, '42501', NULL,
                 'members of another workspace cannot');
SELECT tests.authenticate_as('service_role');
SELECT throws_ok($$SELECT app.provider_credential(tests.uid('workspace_a'), 'openai')$$, '42501', NULL,
                 'the service role cannot, even with the key set');
SELECT tests.authenticate_as('anon');
SELECT throws_ok($$SELECT app.provider_credential(tests.uid('workspace_a'), 'openai')$$, '42501', NULL, 'nor anon');
SELECT tests.clear_authentication();
SELECT set_config('app.secrets_key', '', true);
SELECT tests.login_as('member_a');
SELECT throws_ok($$SELECT app.provider_credential(tests.uid('workspace_a'), 'openai')$$, 'PT503', NULL,
                 'without app.secrets_key: 503');
SELECT throws_ok($$SELECT app.provider_credential(tests.uid('workspace_a'), 'anthropic')$$, 'PT503', NULL,
                 'even when there is no secret to decrypt');
SELECT tests.clear_authentication();
SELECT is(ARRAY(SELECT r FROM unnest(ARRAY['anon', 'authenticated', 'service_role', 'worker', 'analyst']) r
                WHERE has_function_privilege(r, 'app.provider_credential(uuid, text)', 'execute')),
          ARRAY['authenticated', 'worker'], 'only authenticated and worker may call it');

SELECT * FROM finish();
ROLLBACK;

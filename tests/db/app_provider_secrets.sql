-- Provider secrets: encrypted at rest under the run-time key, metadata for admins only,
-- plaintext for the worker only.
BEGIN;
SELECT plan(19);
SELECT tests.make_world();

SELECT set_config('app.secrets_key', 'a-test-key-that-is-at-least-32-characters', true);
SELECT tests.login_as('admin_a');
SELECT is((SELECT key_hint FROM api.set_provider_secret(tests.uid('workspace_a'), 'openai', 'sk-live-1234567890abcd')),
          '…abcd', 'an admin stores a provider secret and gets its metadata back');
SELECT is((SELECT count(*) FROM api.provider_secrets), 1::bigint, 'the admin sees the secret''s metadata');
SELECT throws_ok('SELECT ciphertext FROM app.provider_secrets', '42501', NULL, 'but never the ciphertext');
SELECT throws_ok($$SELECT api.set_provider_secret(tests.uid('workspace_b'), 'openai', 'sk-live-1234567890abcd')$$,
                 '42501', 'only workspace admins and owners manage provider secrets', 'not for another workspace');
SELECT throws_ok($$SELECT api.set_provider_secret(tests.uid('workspace_a'), 'Open AI', 'sk-live-1234567890abcd')$$,
                 '23514', NULL, 'provider names are lower-case identifiers');
SELECT throws_ok($$SELECT api.set_provider_secret(tests.uid('workspace_a'), 'openai', 'short')$$,
                 '22023', 'secret must be at least 8 characters', 'secrets have a minimum length');
SELECT lives_ok($$SELECT api.set_provider_secret(tests.uid('workspace_a'), 'openai', 'sk-live-rotated-9999')$$,
                'setting it again replaces it');

SELECT tests.login_as('member_a');
SELECT is((SELECT count(*) FROM api.provider_secrets), 0::bigint, 'a member does not see provider secrets');
SELECT throws_ok($$SELECT api.set_provider_secret(tests.uid('workspace_a'), 'anthropic', 'sk-live-1234567890abcd')$$,
                 '42501', NULL, 'a member cannot set them');
SELECT throws_ok($$SELECT app.provider_secret(tests.uid('workspace_a'), 'openai')$$, '42501', NULL,
                 'a member cannot decrypt them');
SELECT tests.login_as('member_b');
SELECT is((SELECT count(*) FROM api.provider_secrets), 0::bigint, 'a member of B sees nothing of A');

SELECT tests.authenticate_as('worker');
SELECT is(app.provider_secret(tests.uid('workspace_a'), 'openai'), 'sk-live-rotated-9999',
          'the worker decrypts with the run-time key');
SELECT is(app.provider_secret(tests.uid('workspace_b'), 'openai'), NULL, 'NULL when the workspace has none');
SELECT set_config('app.secrets_key', '', true);
SELECT throws_ok($$SELECT app.provider_secret(tests.uid('workspace_a'), 'openai')$$, 'PT503',
                 'provider secrets are unavailable: the server did not supply app.secrets_key',
                 'without the key nothing decrypts (503)');
SELECT set_config('app.secrets_key', 'another-key-that-is-at-least-32-characters', true);
SELECT throws_ok($$SELECT app.provider_secret(tests.uid('workspace_a'), 'openai')$$, NULL, NULL,
                 'a wrong key does not decrypt');
SELECT tests.clear_authentication();

SELECT ok((SELECT position(convert_to('sk-live-rotated', 'UTF8') IN ciphertext) = 0 FROM app.provider_secrets),
          'the ciphertext does not contain the secret');
SELECT ok((SELECT bool_and(details::text NOT LIKE '%sk-live%') FROM app.audit_log WHERE action LIKE 'provider_secrets.%')
          AND (SELECT count(*) FROM app.audit_log WHERE action LIKE 'provider_secrets.%') = 2,
          'changes are audited, without the secret');
SET LOCAL ROLE analyst;
SELECT throws_ok('SELECT * FROM app.provider_secrets', '42501', NULL, 'the analyst cannot read secrets');
SELECT throws_ok('SELECT * FROM api.provider_secrets', '42501', NULL, 'not even their metadata');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;

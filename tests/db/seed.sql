-- The demo seed loads into a fresh database and its documented logins work.
BEGIN;
SELECT plan(10);
\i db/seed/010_demo.sql

SELECT is((SELECT count(*) FROM api.memberships WHERE workspace_id = '11111111-1111-4111-8111-111111111111'),
          3::bigint, 'the demo workspace has three members');
SELECT tests.authenticate_as('anon');
SELECT ok(api.login('alice@demo.taproot.dev', 'alice-demo-password')::jsonb ? 'access_token', 'alice logs in');
SELECT ok(api.login('bob@demo.taproot.dev', 'bob-demo-password')::jsonb ? 'access_token', 'bob logs in');
SELECT ok(api.login('carol@demo.taproot.dev', 'carol-demo-password')::jsonb ? 'access_token', 'carol logs in');
SELECT tests.authenticate_as('authenticated', '{"sub": "b0b00000-0000-4000-8000-000000000002"}');
SELECT is((SELECT count(*) FROM api.documents), 4::bigint, 'bob reads the demo documents');
SELECT is((SELECT count(*) FROM api.search_documents('11111111-1111-4111-8111-111111111111', 'revenue')), 1::bigint,
          'search finds the revenue report');
SELECT is((SELECT version FROM api.prompt_versions v JOIN api.ai_requests r ON r.prompt_version_id = v.id
           WHERE r.status = 'succeeded'), 2, 'the sample request ran version 2 of summarize');
SELECT is((SELECT status FROM api.run_prompt('5a000000-0000-4000-8000-000000000001',
                                             '{"text": "Hello world", "words": 3}')), 'queued',
          'bob runs the summarize prompt');
SELECT tests.authenticate_as('authenticated', '{"sub": "ca201000-0000-4000-8000-000000000003"}');
SELECT throws_ok($$SELECT api.run_prompt('5a000000-0000-4000-8000-000000000001', '{"text": "x", "words": 1}')$$,
                 '42501', NULL, 'carol, a viewer, cannot');
SELECT tests.clear_authentication();
\i db/seed/010_demo.sql
SELECT is((SELECT count(*) FROM api.users WHERE email LIKE '%@demo.taproot.dev'), 3::bigint,
          'loading the seed twice changes nothing');

SELECT * FROM finish();
ROLLBACK;

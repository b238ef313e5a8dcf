-- api.ai_requests: a request naming another workspace's prompt version learns nothing about it.
BEGIN;
SELECT plan(5);
SELECT tests.make_world();

SELECT tests.login_as('member_a');
SELECT throws_ok($$INSERT INTO api.ai_requests (workspace_id, prompt_version_id, inputs)
                   VALUES (tests.uid('workspace_a'), tests.uid('version_b1'), '{}')$$,
                 '23503', format('prompt version %s does not exist', tests.uid('version_b1')),
                 'a version of B under workspace A is refused like an unknown version, before its variables are checked');
SELECT throws_ok($$INSERT INTO api.ai_requests (workspace_id, prompt_version_id, inputs)
                   VALUES (tests.uid('workspace_a'), tests.uid('version_b1'), '{"text": "hi"}')$$,
                 '23503', format('prompt version %s does not exist', tests.uid('version_b1')),
                 'also with inputs that would fit it');
SELECT throws_ok($$INSERT INTO api.ai_requests (prompt_version_id, inputs)
                   VALUES (tests.uid('version_b1'), '{}')$$,
                 '42501', NULL, 'without a workspace, a version of B is refused for a member of A (403)');
SELECT lives_ok($$INSERT INTO api.ai_requests (workspace_id, prompt_version_id, inputs)
                  VALUES (tests.uid('workspace_a'), tests.uid('version_a1'), '{"text": "hi", "words": 3}')$$,
                'naming the version''s own workspace still works');
SELECT lives_ok($$INSERT INTO api.ai_requests (prompt_version_id, inputs)
                  VALUES (tests.uid('version_a1'), '{"text": "hi", "words": 3}')$$,
                'and so does leaving the workspace out');

SELECT * FROM finish();
ROLLBACK;

-- api.run_prompt: input validation (documented SQLSTATEs), versions, quota; api.cancel_request.
BEGIN;
SELECT plan(22);
SELECT tests.make_world();

SELECT tests.login_as('member_a');
CREATE TEMP TABLE t_run ON COMMIT DROP AS
    SELECT * FROM api.run_prompt(tests.uid('prompt_a'), '{"text": "Long text", "words": 10}');
GRANT SELECT ON t_run TO PUBLIC;
SELECT is((SELECT status FROM t_run), 'queued', 'run_prompt returns the queued request');
SELECT is((SELECT prompt_version_id FROM t_run), tests.uid('version_a1'), 'for the latest version');
SELECT is((SELECT requested_by FROM t_run), tests.uid('member_a'), 'requested by the caller');

SELECT throws_ok($$SELECT api.run_prompt(tests.uid('prompt_a'), '{"text": "x"}')$$, '22023',
                 'invalid inputs: missing variables: words', 'a missing variable is named (400)');
SELECT throws_ok($$SELECT api.run_prompt(tests.uid('prompt_a'), '{"text": "x", "words": 3, "tone": "dry"}')$$, '22023',
                 'invalid inputs: unexpected variables: tone', 'an extra variable is named');
SELECT throws_ok($$SELECT api.run_prompt(tests.uid('prompt_a'), '{"text": 5, "words": "many"}')$$, '22023',
                 'invalid inputs: wrong types: text must be string (got number), words must be integer (got string)',
                 'wrongly typed variables are named with the expected type');
SELECT throws_ok($$SELECT api.run_prompt(tests.uid('prompt_a'), '{"text": "x", "words": 2.5}')$$, '22023',
                 'invalid inputs: wrong types: words must be integer (got number)', 'integers must be whole');
SELECT throws_ok($$SELECT api.run_prompt(tests.uid('prompt_a'), '{"words": 1, "bad": 1}')$$, '22023',
                 'invalid inputs: missing variables: text; unexpected variables: bad', 'all problems at once');
SELECT throws_ok($$SELECT api.run_prompt(tests.uid('prompt_a'), '[1, 2]')$$, '22023',
                 'inputs must be a JSON object of variable values', 'inputs must be an object');
SELECT throws_ok($$SELECT api.run_prompt(tests.uid('prompt_b'), '{"text": "x"}')$$, 'PT404', NULL,
                 'a prompt of another workspace is not found (404)');
SELECT throws_ok($$SELECT api.run_prompt(tests.uid('prompt_a'), '{"text": "x", "words": 1}', 7)$$, 'PT404',
                 NULL, 'an unknown version is not found (404)');
SELECT lives_ok($$SELECT api.run_prompt(tests.uid('prompt_a'), '{"text": "x", "words": 1}', 1)$$,
                'a given version can be run');
SELECT tests.login_as('viewer_a');
SELECT throws_ok($$SELECT api.run_prompt(tests.uid('prompt_a'), '{"text": "x", "words": 1}')$$, '42501', NULL,
                 'a viewer cannot run prompts (403)');

-- Quota
SELECT tests.clear_authentication();
UPDATE api.workspaces SET daily_token_quota = 100 WHERE id = tests.uid('workspace_a');
SELECT app.record_usage(tests.uid('workspace_a'), 0, 60, 40, 0, 0);
SELECT tests.login_as('member_a');
SELECT throws_ok($$SELECT api.run_prompt(tests.uid('prompt_a'), '{"text": "x", "words": 1}')$$, 'PT429',
                 'the workspace has used its daily token quota (100 of 100 tokens)',
                 'a workspace over its daily token quota gets 429');
SELECT tests.login_as('member_b');
SELECT lives_ok($$SELECT api.run_prompt(tests.uid('prompt_b'), '{"text": "x"}')$$, 'other workspaces are unaffected');

-- cancel_request
SELECT tests.login_as('member_b');
SELECT throws_ok(format('SELECT api.cancel_request(%L)', (SELECT id FROM t_run)), 'PT404', NULL,
                 'a member of B cannot see, so cannot cancel, A''s request (404)');
SELECT tests.login_as('viewer_a');
SELECT throws_ok(format('SELECT api.cancel_request(%L)', (SELECT id FROM t_run)), '42501',
                 'only the requester or a workspace admin can cancel an AI request', 'a viewer cannot cancel (403)');
SELECT tests.login_as('member_a');
SELECT is((SELECT status FROM api.cancel_request((SELECT id FROM t_run))), 'cancelled', 'the requester cancels');
SELECT throws_ok(format('SELECT api.cancel_request(%L)', (SELECT id FROM t_run)), 'PT409',
                 'the AI request has already been cancelled and cannot be cancelled', 'cancelling twice is a conflict (409)');
SELECT tests.login_as('admin_a');
SELECT is((SELECT status FROM api.cancel_request(tests.uid('request_a1'))), 'cancelled',
          'an admin cancels anyone''s request');
SELECT tests.authenticate_as('service_role');
SELECT is((SELECT status FROM api.cancel_request(tests.uid('request_b1'))), 'cancelled', 'the service role cancels any request');
SELECT tests.authenticate_as('anon');
SELECT throws_ok(format('SELECT api.cancel_request(%L)', tests.uid('request_b1')), '42501', NULL, 'anon cannot cancel');

SELECT * FROM finish();
ROLLBACK;

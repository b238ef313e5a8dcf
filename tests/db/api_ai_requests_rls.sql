-- api.ai_requests: role x command matrix, the status machine, usage and events.
BEGIN;
SELECT plan(31);
SELECT tests.make_world();

SELECT tests.authenticate_as('anon');
SELECT throws_ok('SELECT * FROM api.ai_requests', '42501', NULL, 'anon cannot read AI requests');

-- SELECT
SELECT tests.login_as('viewer_a');
SELECT set_eq('SELECT id FROM api.ai_requests', ARRAY[tests.uid('request_a1')], 'a viewer of A reads A''s requests only');
SELECT tests.login_as('member_b');
SELECT set_eq('SELECT id FROM api.ai_requests', ARRAY[tests.uid('request_b1')], 'a member of B reads B''s requests only');

-- INSERT directly (POST /api/ai_requests): validated like run_prompt
SELECT tests.login_as('member_a');
SELECT lives_ok($$INSERT INTO api.ai_requests (prompt_version_id, inputs)
                  VALUES (tests.uid('version_a1'), '{"text": "abc", "words": 3}')$$,
                'a member creates a request with a version and inputs (workspace filled in)');
SELECT is((SELECT requested_by FROM api.ai_requests WHERE inputs->>'text' = 'abc'), tests.uid('member_a'),
          'requested_by is the caller');
SELECT is((SELECT status FROM api.ai_requests WHERE inputs->>'text' = 'abc'), 'queued', 'new requests are queued');
SELECT throws_ok($$INSERT INTO api.ai_requests (prompt_version_id, inputs, status)
                   VALUES (tests.uid('version_a1'), '{"text": "abc", "words": 3}', 'succeeded')$$,
                 '42501', NULL, 'users cannot choose the status');
SELECT throws_ok($$INSERT INTO api.ai_requests (prompt_version_id, inputs) VALUES (tests.uid('version_b1'), '{"text": "x"}')$$,
                 '42501', NULL, 'a member of A cannot run B''s prompts');
SELECT throws_ok($$INSERT INTO api.ai_requests (workspace_id, prompt_version_id, inputs)
                   VALUES (tests.uid('workspace_b'), tests.uid('version_a1'), '{"text": "abc", "words": 3}')$$,
                 '42501', NULL, 'nor file a request of A under B');
SELECT tests.login_as('viewer_a');
SELECT throws_ok($$INSERT INTO api.ai_requests (prompt_version_id, inputs) VALUES (tests.uid('version_a1'), '{"text": "abc", "words": 3}')$$,
                 '42501', 'only owners, admins and members of the workspace can run its prompts', 'a viewer cannot run prompts');

-- UPDATE / DELETE: not for users
SELECT tests.login_as('member_a');
SELECT throws_ok($$UPDATE api.ai_requests SET status = 'cancelled' WHERE id = tests.uid('request_a1')$$,
                 '42501', NULL, 'users cannot update requests (they call cancel_request)');
SELECT throws_ok($$DELETE FROM api.ai_requests WHERE id = tests.uid('request_a1')$$,
                 '42501', NULL, 'users cannot delete requests');

-- The worker moves requests along the status machine
SELECT tests.authenticate_as('worker');
SELECT is((SELECT count(*) FROM api.ai_requests), 3::bigint, 'the worker reads every request');
SELECT is(tests.affected_rows($$UPDATE api.ai_requests SET status = 'running' WHERE id = tests.uid('request_a1')$$),
          1::bigint, 'the worker starts a request');
SELECT tests.clear_authentication();
SELECT ok((SELECT started_at IS NOT NULL AND attempts = 1 FROM api.ai_requests WHERE id = tests.uid('request_a1')),
          'starting sets started_at and counts the attempt');
SELECT tests.authenticate_as('worker');
SELECT throws_ok($$UPDATE api.ai_requests SET status = 'succeeded' WHERE id = tests.uid('request_a1')$$,
                 '23514', NULL, 'success needs a result');
SELECT is(tests.affected_rows($$UPDATE api.ai_requests SET status = 'succeeded', result = 'A summary.', tokens_in = 120,
                                tokens_out = 30, cost = 0.0015 WHERE id = tests.uid('request_a1')$$),
          1::bigint, 'the worker records the result, tokens and cost');
SELECT throws_ok($$UPDATE api.ai_requests SET status = 'running' WHERE id = tests.uid('request_a1')$$,
                 '23514', 'an AI request cannot go from succeeded to running', 'finished requests stay finished');
SELECT throws_ok($$UPDATE api.ai_requests SET inputs = '{}' WHERE id = tests.uid('request_b1')$$,
                 '42501', NULL, 'the worker cannot change inputs');
SELECT throws_ok($$UPDATE api.ai_requests SET tokens_in = -1 WHERE id = tests.uid('request_b1')$$,
                 '23514', NULL, 'tokens cannot be negative');
SELECT throws_ok($$DELETE FROM api.ai_requests WHERE id = tests.uid('request_b1')$$, '42501', NULL,
                 'the worker cannot delete requests');
SELECT tests.clear_authentication();
SELECT ok((SELECT finished_at IS NOT NULL FROM api.ai_requests WHERE id = tests.uid('request_a1')),
          'finishing sets finished_at');

-- Usage (from the ledger, api_ai_usage: the request's own columns are a copy) and events
SELECT is((SELECT count(*) FROM api.usage_daily WHERE workspace_id = tests.uid('workspace_a')), 0::bigint,
          'requests and their token columns no longer count as usage');
SELECT tests.authenticate_as('worker');
-- Record, then settle (into usage_daily), as the callers do.
SELECT app.settle_ai_usage(u.id)
FROM app.record_ai_usage(tests.uid('workspace_a'), tests.uid('request_a1'), NULL, 'job', 'openai', 'gpt-4o-mini',
                         'gpt-4o-mini', 120, 30, 0, 0, 0, false, false, 'ok', 800) u;
SELECT tests.clear_authentication();
SELECT is((SELECT (requests, tokens_in, tokens_out, cost)::text FROM api.usage_daily
           WHERE workspace_id = tests.uid('workspace_a')), '(1,120,30,0.000036)',
          'usage counts ledger calls, tokens and cost per workspace and day');
SELECT is((SELECT array_agg(payload->>'status' ORDER BY id) FROM app.events
           WHERE topic = 'ai_requests' AND entity_id = tests.uid('request_a1')),
          ARRAY['queued', 'running', 'succeeded'], 'each status change emits an ai_requests event');
SELECT tests.login_as('member_b');
SELECT is((SELECT count(*) FROM api.usage_daily WHERE workspace_id = tests.uid('workspace_a')), 0::bigint,
          'a member of B cannot read A''s usage');
SELECT tests.login_as('viewer_a');
SELECT is((SELECT requests FROM api.usage_daily WHERE workspace_id = tests.uid('workspace_a')), 1,
          'a viewer of A reads A''s usage');
SELECT throws_ok($$UPDATE api.usage_daily SET tokens_in = 0$$, '42501', NULL, 'nobody edits usage');

-- service role and analyst
SELECT tests.authenticate_as('service_role');
SELECT is(tests.affected_rows($$DELETE FROM api.ai_requests WHERE id = tests.uid('request_b1')$$), 1::bigint,
          'the service role deletes requests');
SELECT tests.clear_authentication();
SET LOCAL ROLE analyst;
SELECT throws_ok('SELECT * FROM api.ai_requests', '42501', NULL, 'the analyst cannot read raw requests');
SELECT throws_ok('SELECT * FROM api.usage_daily', '42501', NULL, 'nor raw usage');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;

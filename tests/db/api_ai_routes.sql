-- api.ai_routes and api.ai_route(): members read, owners/admins manage, the worker reads.
BEGIN;
SELECT plan(16);
SELECT tests.make_world();

SELECT tests.login_as('admin_a');
SELECT lives_ok($$INSERT INTO api.ai_routes (workspace_id, model, position, credential, upstream_model) VALUES
                  (tests.uid('workspace_a'), 'smart', 2, 'anthropic', 'claude-3-5-haiku-20241022'),
                  (tests.uid('workspace_a'), 'smart', 1, 'openai', 'gpt-4o-mini'),
                  (tests.uid('workspace_a'), 'gpt-4o', 1, 'openai-team', NULL)$$,
                'an admin adds routes with fallbacks');
SELECT throws_ok($$INSERT INTO api.ai_routes (workspace_id, model, position, credential)
                   VALUES (tests.uid('workspace_a'), 'smart', 1, 'fake')$$, '23505', NULL, 'one route per position');
SELECT throws_ok($$INSERT INTO api.ai_routes (workspace_id, model, position, credential)
                   VALUES (tests.uid('workspace_a'), 'other', 0, 'fake')$$, '23514', NULL, 'positions start at 1');
SELECT throws_ok($$INSERT INTO api.ai_routes (workspace_id, model, position, credential)
                   VALUES (tests.uid('workspace_a'), 'other', 1, 'Open AI')$$, '23514', NULL,
                 'a credential is a provider name');
SELECT throws_ok($$INSERT INTO api.ai_routes (workspace_id, model, credential) VALUES (tests.uid('workspace_b'), 'x', 'fake')$$,
                 '42501', NULL, 'nor in another workspace');

SELECT tests.login_as('member_a');
SELECT results_eq($$SELECT position, credential, upstream_model FROM api.ai_route(tests.uid('workspace_a'), 'smart')$$,
                  $$VALUES (1, 'openai', 'gpt-4o-mini'), (2, 'anthropic', 'claude-3-5-haiku-20241022')$$,
                  'a member gets the routes in order');
SELECT results_eq($$SELECT upstream_model FROM api.ai_route(tests.uid('workspace_a'), 'gpt-4o')$$,
                  $$VALUES ('gpt-4o')$$, 'no upstream model means the same name');
SELECT is_empty($$SELECT * FROM api.ai_route(tests.uid('workspace_a'), 'unrouted')$$,
                'an unrouted model has no route (the default provider applies)');
SELECT throws_ok($$INSERT INTO api.ai_routes (workspace_id, model, credential) VALUES (tests.uid('workspace_a'), 'x', 'fake')$$,
                 '42501', NULL, 'a member cannot add routes');
SELECT is(tests.affected_rows($$UPDATE api.ai_routes SET credential = 'fake'$$), 0::bigint, 'nor change them');

SELECT tests.login_as('member_b');
SELECT is_empty($$SELECT * FROM api.ai_route(tests.uid('workspace_a'), 'smart')$$, 'a member of B sees no route of A');

SELECT tests.authenticate_as('worker');
SELECT is((SELECT count(*) FROM api.ai_route(tests.uid('workspace_a'), 'smart')), 2::bigint, 'the worker reads routes');

SELECT tests.login_as('admin_a');
SELECT is(tests.affected_rows($$UPDATE api.ai_routes SET upstream_model = 'gpt-4.1-mini' WHERE position = 1 AND model = 'smart'$$),
          1::bigint, 'an admin changes a route');
SELECT is(tests.affected_rows($$DELETE FROM api.ai_routes WHERE model = 'gpt-4o'$$), 1::bigint, 'and deletes one');
SELECT tests.clear_authentication();
SELECT is((SELECT count(*) FROM app.audit_log WHERE action LIKE 'ai_routes.%' AND workspace_id = tests.uid('workspace_a')),
          5::bigint, 'route changes are audited');

SELECT tests.authenticate_as('anon');
SELECT throws_ok($$SELECT * FROM api.ai_route(tests.uid('workspace_a'), 'smart')$$, '42501', NULL, 'anon cannot ask');

SELECT * FROM finish();
ROLLBACK;

-- app_ai_call_plpgsql: the AI hot helpers in PL/pgSQL answer exactly as the SQL ones did:
-- who may run AI (users by role, the worker, API keys in their own workspace only), who
-- manages, what a call costs, and who the ledger row names.
BEGIN;
SELECT plan(21);
SELECT tests.make_world();

SELECT is((SELECT array_agg(p.proname::text ORDER BY p.proname) FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
           WHERE p.oid IN ('app.current_api_key_id()'::regprocedure, 'app.may_run_ai(uuid)'::regprocedure,
                           'app.ai_cost(text, text, timestamptz, bigint, bigint, bigint, bigint)'::regprocedure)
             AND l.lanname = 'plpgsql'),
          ARRAY['ai_cost', 'current_api_key_id', 'may_run_ai'], 'the hot helpers are PL/pgSQL');

-- Users, by role
SELECT tests.login_as('owner_a');
SELECT ok(app.may_run_ai(tests.uid('workspace_a')), 'an owner runs AI');
SELECT tests.login_as('admin_a');
SELECT ok(app.may_run_ai(tests.uid('workspace_a')), 'an admin runs AI');
SELECT tests.login_as('member_a');
SELECT ok(app.may_run_ai(tests.uid('workspace_a')), 'a member runs AI');
SELECT ok(NOT app.may_run_ai(tests.uid('workspace_b')), 'not in another workspace');
SELECT ok(NOT app.may_run_ai(NULL), 'nor in no workspace');
SELECT tests.login_as('viewer_a');
SELECT ok(NOT app.may_run_ai(tests.uid('workspace_a')), 'a viewer does not');
SELECT tests.login_as('outsider');
SELECT ok(NOT app.may_run_ai(tests.uid('workspace_a')), 'nor an outsider');
SELECT tests.authenticate_as('anon');
SELECT throws_ok($$SELECT app.may_run_ai(tests.uid('workspace_a'))$$, '42501', NULL, 'anon may not even ask');
SELECT tests.authenticate_as('worker');
SELECT ok(app.may_run_ai(tests.uid('workspace_a')) AND NOT app.may_run_ai(NULL), 'the worker runs queued jobs anywhere');

-- begin_ai_call: manages for owners and admins only
SELECT tests.login_as('admin_a');
SELECT is((app.begin_ai_call(tests.uid('workspace_a'), 'fake-chat', NULL, 10, 5, NULL, '1 minute') ->> 'manages')::boolean,
          true, 'an admin manages');
SELECT tests.login_as('member_a');
SELECT is((app.begin_ai_call(tests.uid('workspace_a'), 'fake-chat', NULL, 10, 5, NULL, '1 minute') ->> 'manages')::boolean,
          false, 'a member does not');
SELECT is(app.begin_ai_call(tests.uid('workspace_b'), 'fake-chat', NULL, 10, 5, NULL, '1 minute'),
          '{"allowed": false}'::jsonb, 'another workspace: refused, nothing else');

-- The ledger row names the caller (claim sub) and the key (claim api_key_id)
SELECT is((SELECT user_id FROM app.record_ai_usage(tests.uid('workspace_a'), NULL, NULL, 'chat', 'fake', 'fake-chat',
                                                   NULL, 1, 1, 0, 0, 0, false, false, 'ok', 1)),
          tests.uid('member_a'), 'a token call is recorded as its user');

-- API keys
SELECT tests.login_as('admin_a');
CREATE TEMP TABLE t_key AS SELECT (api.create_api_key(tests.uid('workspace_a'), 'hot path')->>'id')::uuid AS id;
GRANT SELECT ON t_key TO PUBLIC;
SELECT tests.clear_authentication();
INSERT INTO api.memberships (workspace_id, user_id, role) VALUES (tests.uid('workspace_b'), tests.uid('admin_a'), 'member');
SELECT tests.authenticate_as('authenticated', jsonb_build_object('sub', tests.uid('admin_a'),
       'api_key_id', (SELECT id FROM t_key), 'workspace_id', tests.uid('workspace_a')));
SELECT is(app.current_api_key_id(), (SELECT id FROM t_key), 'app.current_api_key_id() reads the claim');
SELECT ok(app.may_run_ai(tests.uid('workspace_a')) AND NOT app.may_run_ai(tests.uid('workspace_b')),
          'a key of A runs AI in A, not in B (though its creator is a member of B)');
SELECT is((SELECT (api_key_id, user_id)::text
           FROM app.record_ai_usage(tests.uid('workspace_a'), NULL, NULL, 'chat', 'fake', 'fake-chat',
                                    NULL, 1, 1, 0, 0, 0, false, false, 'ok', 1)),
          format('(%s,%s)', (SELECT id FROM t_key), tests.uid('admin_a')), 'a key call is recorded with its key');
SELECT tests.authenticate_as('authenticated', jsonb_build_object('sub', tests.uid('member_a'),
       'api_key_id', (SELECT id FROM t_key), 'workspace_id', tests.uid('workspace_a')));
SELECT ok(NOT app.may_run_ai(tests.uid('workspace_a')), 'a key is its creator''s only');
SELECT tests.clear_authentication();
UPDATE app.api_keys SET revoked_at = now() WHERE id = (SELECT id FROM t_key);
SELECT tests.authenticate_as('authenticated', jsonb_build_object('sub', tests.uid('admin_a'),
       'api_key_id', (SELECT id FROM t_key), 'workspace_id', tests.uid('workspace_a')));
SELECT ok(NOT app.may_run_ai(tests.uid('workspace_a')), 'a revoked key runs nothing');

-- Prices: the one in force at the time, cached and cache-write tokens at their own rates
SELECT tests.clear_authentication();
INSERT INTO app.ai_prices (provider, model, effective_from, input_per_mtok, output_per_mtok, cached_input_per_mtok,
                           cache_write_per_mtok)
VALUES ('testprov', 'm', '2020-01-01Z', 1.00, 2.00, 0.50, NULL),
       ('testprov', 'm', '2030-01-01Z', 9.00, 9.00, 9.00, 9.00);
SELECT is(app.ai_cost('testprov', 'm', '2026-01-01Z', 1000000, 1000000, 200000, 100000),
          (0.7 * 1.00 + 0.2 * 0.50 + 0.1 * 1.00 + 2.00)::numeric(12, 6), 'cost at the price in force');
SELECT is(app.ai_cost('testprov', 'unknown', now(), 10, 10, 0, 0), 0::numeric(12, 6), 'an unknown model costs 0');

SELECT * FROM finish();
ROLLBACK;

-- The usage ledger: cost computed in SQL, one row per request (a second is refused: no double
-- charging), callers confined to their workspace, rows immutable. A call is recorded (durably,
-- touching no shared counter) and then settled exactly once (reservation released,
-- usage_daily and the key fed, asynchronously); what no caller settled is settled by the
-- periodic recovery.
BEGIN;
SELECT plan(55);
SELECT tests.make_world();

CREATE TEMP TABLE t_ids (label text PRIMARY KEY, id uuid);
GRANT ALL ON t_ids TO PUBLIC;
CREATE TEMP TABLE t_usage (label text PRIMARY KEY, id bigint);
GRANT ALL ON t_usage TO PUBLIC;
CREATE FUNCTION pg_temp.today(p_workspace uuid) RETURNS text LANGUAGE sql AS $$
    SELECT (requests, tokens_in, tokens_out, cost, cache_hits, tokens_reserved)::text FROM api.usage_daily
    WHERE workspace_id = p_workspace AND day = (now() AT TIME ZONE 'UTC')::date
$$;
CREATE FUNCTION pg_temp.usage(p_label text) RETURNS bigint LANGUAGE sql AS $$
    SELECT id FROM t_usage WHERE label = p_label
$$;
CREATE FUNCTION pg_temp.key() RETURNS uuid LANGUAGE sql AS $$ SELECT id FROM t_ids WHERE label = 'key' $$;
-- What a new transaction starts with: synchronous commit, and no ledger row written yet.
CREATE FUNCTION pg_temp.new_transaction() RETURNS void LANGUAGE sql AS $$
    SELECT set_config('synchronous_commit', 'on', true), set_config('app.ai_ledger_written', '', true)
$$;
GRANT EXECUTE ON FUNCTION pg_temp.today(uuid), pg_temp.usage(text), pg_temp.key(), pg_temp.new_transaction()
    TO PUBLIC;

-- A synchronous call by a member: 1000 in (400 of them cached), 200 out on gpt-4o-mini
SELECT tests.login_as('member_a');
INSERT INTO t_usage SELECT 'call', id FROM app.record_ai_usage(tests.uid('workspace_a'), NULL, NULL, 'chat', 'openai',
    'gpt-4o-mini', 'gpt-4o-mini', 1000, 200, 400, 0, 0, false, false, 'ok', 420);
SELECT is((SELECT cost FROM api.ai_usage WHERE id = pg_temp.usage('call')), 0.000240::numeric(12, 6),
          'the cost is computed in SQL: 600 x 0.15 + 400 x 0.075 + 200 x 0.60 per million');
SELECT is((SELECT (user_id, api_key_id, endpoint, status, latency_ms, reservation_id)::text FROM api.ai_usage),
          format('(%s,,chat,ok,420,)', tests.uid('member_a')), 'the row names the caller');
INSERT INTO t_usage SELECT 'hit', id FROM app.record_ai_usage(tests.uid('workspace_a'), NULL, NULL, 'chat', 'openai',
    'gpt-4o-mini', 'gpt-4o-mini', 1000, 200, 0, 0, 0, true, false, 'ok', 3);
SELECT is((SELECT cost FROM api.ai_usage WHERE id = pg_temp.usage('hit')), 0::numeric(12, 6), 'a cache hit costs nothing');
SELECT tests.clear_authentication();
SELECT is(pg_temp.today(tests.uid('workspace_a')), NULL, 'recording touches no shared counter: usage_daily waits');
SELECT is((SELECT count(*) FROM app.ai_usage_pending), 2::bigint, 'both rows are pending settlement');

SELECT tests.login_as('member_b');
SELECT throws_ok(format('SELECT app.settle_ai_usage(%s)', pg_temp.usage('call')), '42501', NULL,
                 'a member of B cannot settle A''s usage');
SELECT tests.login_as('member_a');
SELECT throws_ok('SELECT app.settle_ai_usage(-1)', 'PT404', 'AI usage -1 not found', 'an unknown row is 404');
SELECT ok(app.settle_ai_usage(pg_temp.usage('call')), 'the caller settles its call');
SELECT ok(app.settle_ai_usage(pg_temp.usage('hit')), 'and its cache hit');
SELECT tests.clear_authentication();
SELECT is(pg_temp.today(tests.uid('workspace_a')), '(2,1000,200,0.000240,1,0)',
          'usage_daily counts both calls, the tokens and cost of the real one, and the hit');
SELECT tests.login_as('member_a');
SELECT is(app.settle_ai_usage(pg_temp.usage('call')), false, 'settling again answers false');
SELECT tests.clear_authentication();
SELECT is(pg_temp.today(tests.uid('workspace_a')), '(2,1000,200,0.000240,1,0)', 'and changes nothing');
SELECT is((SELECT count(*) FROM app.ai_usage_pending), 0::bigint, 'nothing is pending any more');

-- Refusals
SELECT tests.login_as('member_b');
SELECT throws_ok($$SELECT app.record_ai_usage(tests.uid('workspace_a'), NULL, NULL, 'chat', 'openai', 'gpt-4o-mini',
                                             NULL, 1, 1, 0, 0, 0, false, false, 'ok', 1)$$, '42501', NULL,
                 'a member of B cannot charge A');
SELECT throws_ok($$SELECT app.record_ai_usage(tests.uid('workspace_b'), tests.uid('request_a1'), NULL, 'job', 'openai',
                                             'gpt-4o-mini', NULL, 1, 1, 0, 0, 0, false, false, 'ok', 1)$$, 'PT404', NULL,
                 'nor charge its own workspace for A''s request');
SELECT tests.login_as('member_a');
INSERT INTO t_ids VALUES ('a_reservation', app.reserve_budget(tests.uid('workspace_a'), NULL, 10));
SELECT tests.login_as('member_b');
SELECT throws_ok(format($$SELECT app.record_ai_usage(tests.uid('workspace_b'), NULL, %L, 'chat', 'openai', 'gpt-4o-mini',
                                                    NULL, 1, 1, 0, 0, 0, false, false, 'ok', 1)$$,
                        (SELECT id FROM t_ids WHERE label = 'a_reservation')), '22023', NULL,
                 'nor settle A''s reservation');
SELECT tests.login_as('viewer_a');
SELECT throws_ok($$SELECT app.record_ai_usage(tests.uid('workspace_a'), NULL, NULL, 'chat', 'openai', 'gpt-4o-mini',
                                             NULL, 1, 1, 0, 0, 0, false, false, 'ok', 1)$$, '42501', NULL,
                 'viewers cannot run AI, so record none');
SELECT tests.login_as('member_a');
SELECT throws_ok($$SELECT app.record_ai_usage(tests.uid('workspace_a'), NULL, NULL, 'chat', 'openai', 'gpt-4o-mini',
                                             NULL, 10, 1, 8, 5, 0, false, false, 'ok', 1)$$, '23514', NULL,
                 'cached and cache-write tokens are part of the input');
SELECT throws_ok($$SELECT app.record_ai_usage(tests.uid('workspace_a'), NULL, NULL, 'fax', 'openai', 'gpt-4o-mini',
                                             NULL, 1, 1, 0, 0, 0, false, false, 'ok', 1)$$, '23514', NULL,
                 'unknown endpoints are refused');
SELECT throws_ok($$INSERT INTO api.ai_usage (workspace_id, endpoint, provider, model, cost)
                   VALUES (tests.uid('workspace_a'), 'chat', 'openai', 'x', 0)$$, '42501', NULL,
                 'nobody inserts directly (nor chooses the cost)');
SELECT throws_ok('SELECT app.settle_pending_usage()', '42501', NULL, 'users cannot run the recovery job');
SELECT lives_ok(format('SELECT app.release_budget(%L)', (SELECT id FROM t_ids WHERE label = 'a_reservation')),
                '(the reservation is given back)');

-- A background request is charged once, whatever retries happen
SELECT tests.authenticate_as('worker');
SELECT lives_ok($$INSERT INTO t_usage SELECT 'job', id FROM app.record_ai_usage(tests.uid('workspace_a'),
                      tests.uid('request_a1'), NULL, 'job', 'anthropic', 'summarizer', 'claude-3-5-haiku-20241022',
                      1000, 100, 200, 300, 0, false, false, 'ok', 900)$$, 'the worker charges a request');
SELECT throws_ok($$SELECT app.record_ai_usage(tests.uid('workspace_a'), tests.uid('request_a1'), NULL, 'job', 'anthropic',
                                             'summarizer', 'claude-3-5-haiku-20241022', 1000, 100, 200, 300, 0, false,
                                             false, 'ok', 900)$$, '23505', NULL,
                 'a second charge for the same request violates UNIQUE (request_id)');
SELECT is((SELECT (user_id, cost)::text FROM api.ai_usage WHERE request_id = tests.uid('request_a1')),
          format('(%s,0.001116)', tests.uid('member_a')),
          'priced by the upstream model (500 x 0.80 + 200 x 0.08 + 300 x 1.00 + 100 x 4.00), for the requester');

-- Recovery: the worker died before settling the job's row
SELECT is(app.settle_pending_usage(), 0, 'the recovery job leaves a row just recorded to its caller (30 s)');
SELECT is(app.settle_pending_usage(interval '0'), 1, 'past that age it settles the row nobody settled');
SELECT is(app.settle_pending_usage(interval '0'), 0, 'once');
SELECT is(app.settle_ai_usage(pg_temp.usage('job')), false, 'and the late caller''s settlement changes nothing');
SELECT tests.clear_authentication();
SELECT is(pg_temp.today(tests.uid('workspace_a')), '(3,2000,300,0.001356,1,0)', 'the job counts once in usage_daily');

-- Settling a reservation made with an API key
INSERT INTO t_ids VALUES ('key', (SELECT (x->>'id')::uuid FROM (SELECT set_config('request.jwt.claims',
    jsonb_build_object('sub', tests.uid('owner_b'))::text, true)) s,
    LATERAL (SELECT api.create_api_key(tests.uid('workspace_b'), 'budgeted', 100) AS x) k));
SELECT tests.authenticate_as('authenticated', jsonb_build_object('sub', tests.uid('owner_b'),
       'api_key_id', pg_temp.key(), 'workspace_id', tests.uid('workspace_b')));
INSERT INTO t_ids VALUES ('r', app.reserve_budget(tests.uid('workspace_b'), pg_temp.key(), 60));
INSERT INTO t_usage SELECT 'keyed', id FROM app.record_ai_usage(tests.uid('workspace_b'), NULL,
    (SELECT id FROM t_ids WHERE label = 'r'), 'messages', 'anthropic', 'claude-3-5-haiku-20241022', NULL, 30, 10,
    0, 0, 0, false, false, 'ok', 100);
SELECT is((SELECT (api_key_id, reservation_id)::text FROM api.ai_usage WHERE id = pg_temp.usage('keyed')),
          format('(%s,%s)', pg_temp.key(), (SELECT id FROM t_ids WHERE label = 'r')),
          'a call made with a key is charged to the key, under its reservation');
SELECT tests.clear_authentication();
SELECT is((SELECT (tokens_used, tokens_reserved)::text FROM app.api_keys WHERE id = pg_temp.key()), '(0,60)',
          'until settled the key still holds the 60 reserved');
SELECT tests.login_as('owner_b');
INSERT INTO t_usage SELECT 'no key', id FROM app.record_ai_usage(tests.uid('workspace_b'), NULL, NULL, 'chat',
    'openai', 'gpt-4o-mini', NULL, 1, 1, 0, 0, 0, false, false, 'ok', 1);
SELECT tests.authenticate_as('authenticated', jsonb_build_object('sub', tests.uid('owner_b'),
       'api_key_id', pg_temp.key(), 'workspace_id', tests.uid('workspace_b')));
SELECT throws_ok(format('SELECT app.settle_ai_usage(%s)', pg_temp.usage('no key')), '42501', NULL,
                 'a call made with a key settles only that key''s usage');
SELECT ok(app.settle_ai_usage(pg_temp.usage('keyed')), 'it settles its own');
SELECT tests.clear_authentication();
SELECT is((SELECT (tokens_used, tokens_reserved)::text FROM app.api_keys WHERE id = pg_temp.key()),
          '(40,0)', 'settling releases the 60 reserved and counts the 40 used on the key');
SELECT is(pg_temp.today(tests.uid('workspace_b')), '(1,30,10,0.000064,0,0)', 'and on the workspace''s day');
SELECT is((SELECT count(*) FROM app.budget_reservations), 0::bigint, 'the reservation is gone');
SELECT lives_ok(format('SELECT app.release_budget(%L)', (SELECT id FROM t_ids WHERE label = 'r')),
                'releasing a settled reservation does nothing');
SELECT is((SELECT tokens_reserved FROM app.api_keys WHERE id = pg_temp.key()), 0::bigint, 'and gives nothing back');

-- A call that used more than it reserved fills the key's budget, never more
SELECT tests.authenticate_as('authenticated', jsonb_build_object('sub', tests.uid('owner_b'),
       'api_key_id', pg_temp.key(), 'workspace_id', tests.uid('workspace_b')));
UPDATE t_ids SET id = app.reserve_budget(tests.uid('workspace_b'), NULL, 50) WHERE label = 'r';
INSERT INTO t_usage SELECT 'overshoot', id FROM app.record_ai_usage(tests.uid('workspace_b'), NULL,
    (SELECT id FROM t_ids WHERE label = 'r'), 'chat', 'openai', 'gpt-4o-mini', NULL, 100, 50, 0, 0, 0, false, true,
    'partial', 100);
SELECT ok(app.settle_ai_usage(pg_temp.usage('overshoot')), 'an overshooting call is still recorded and settled');
SELECT tests.clear_authentication();
SELECT is((SELECT (tokens_used, tokens_reserved, token_budget)::text FROM app.api_keys WHERE id = pg_temp.key()),
          '(100,0,100)', 'the key is exhausted at its budget (the ledger keeps the exact 150)');

-- Durability: the ledger's transaction commits synchronously, the ones on hot rows do not
SELECT pg_temp.new_transaction();
SELECT tests.login_as('member_a');
INSERT INTO t_ids VALUES ('sync', app.reserve_budget(tests.uid('workspace_a'), NULL, 10));
SELECT is(current_setting('synchronous_commit'), 'off', 'a reservation''s transaction commits asynchronously');
INSERT INTO t_usage SELECT 'sync', id FROM app.record_ai_usage(tests.uid('workspace_a'), NULL,
    (SELECT id FROM t_ids WHERE label = 'sync'), 'chat', 'openai', 'gpt-4o-mini', NULL, 5, 5, 0, 0, 0, false, false,
    'ok', 1);
SELECT is(current_setting('synchronous_commit'), 'on',
          'the ledger''s commits synchronously, even after an asynchronous request in the same transaction');
SELECT ok(app.settle_ai_usage(pg_temp.usage('sync')), 'settling in the ledger''s own transaction works');
SELECT is(current_setting('synchronous_commit'), 'on', 'but does not make that transaction asynchronous');
SELECT pg_temp.new_transaction();
SELECT is(app.settle_ai_usage(pg_temp.usage('sync')), false, '(already settled)');
SELECT is(current_setting('synchronous_commit'), 'off', 'a settlement''s own transaction commits asynchronously');

-- Immutable; members read their own workspace's rows
SELECT tests.clear_authentication();
SELECT throws_ok($$UPDATE api.ai_usage SET cost = 0$$, '42501', 'the AI usage ledger is append-only: rows cannot change',
                 'not even the owner edits the ledger');
SELECT throws_ok($$UPDATE api.ai_usage SET reservation_id = NULL$$, '42501', NULL, 'nor its reservation');
SELECT tests.authenticate_as('service_role');
SELECT throws_ok($$UPDATE api.ai_usage SET cost = 0$$, '42501', NULL, 'the service role cannot update it');
SELECT tests.login_as('member_b');
SELECT is((SELECT count(*) FROM api.ai_usage WHERE workspace_id = tests.uid('workspace_a')), 0::bigint,
          'a member of B reads none of A''s usage');
SELECT throws_ok($$DELETE FROM api.ai_usage$$, '42501', NULL, 'users delete nothing');
SELECT tests.clear_authentication();
DELETE FROM api.ai_requests WHERE id = tests.uid('request_a1');
SELECT is((SELECT count(*) FROM api.ai_usage WHERE request_id IS NULL AND provider = 'anthropic' AND model = 'summarizer'),
          1::bigint, 'deleting a request keeps its charge (request_id set to NULL)');
SELECT tests.authenticate_as('service_role');
SELECT is(tests.affected_rows('DELETE FROM api.ai_usage'), 7::bigint, 'the service role deletes for retention');
SELECT tests.clear_authentication();
SELECT is((SELECT count(*) FROM app.ai_usage_pending), 0::bigint, 'with their pending settlements');

SELECT * FROM finish();
ROLLBACK;

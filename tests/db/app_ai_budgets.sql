-- Budget reservations: refused past the workspace's daily quota or the key's budget (PT429,
-- DETAIL budget_exhausted), released idempotently, held until the call is settled, expired
-- ones settled (billed) or freed by the worker; the key's CHECK constraint makes overspending
-- impossible whatever the code does. The transactions that lock these hot rows commit
-- asynchronously.
BEGIN;
SELECT plan(34);
SELECT tests.make_world();
UPDATE api.workspaces SET daily_token_quota = 1000 WHERE id = tests.uid('workspace_a');

CREATE FUNCTION pg_temp.error_of(statement text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    detail text;
BEGIN
    EXECUTE statement;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
    RETURN SQLSTATE || ' ' || coalesce(detail, '');
END
$$;
CREATE FUNCTION pg_temp.reserved_today(p_workspace uuid) RETURNS bigint LANGUAGE sql AS $$
    SELECT tokens_reserved FROM api.usage_daily WHERE workspace_id = p_workspace AND day = (now() AT TIME ZONE 'UTC')::date
$$;
CREATE TEMP TABLE t_ids (label text PRIMARY KEY, id uuid);
GRANT ALL ON t_ids TO PUBLIC;
CREATE TEMP TABLE t_usage (label text PRIMARY KEY, id bigint);
GRANT ALL ON t_usage TO PUBLIC;
GRANT EXECUTE ON FUNCTION pg_temp.error_of(text), pg_temp.reserved_today(uuid) TO PUBLIC;

-- The workspace's daily quota (the throwaway test cluster's default is off: start from on)
SET LOCAL synchronous_commit = on;
SELECT tests.login_as('member_a');
INSERT INTO t_ids VALUES ('r600', app.reserve_budget(tests.uid('workspace_a'), NULL, 600));
SELECT ok((SELECT id IS NOT NULL FROM t_ids WHERE label = 'r600'), 'a member reserves 600 of 1000 tokens');
SELECT is(current_setting('synchronous_commit'), 'off',
          'a reservation''s transaction commits asynchronously (it holds the hot row for microseconds)');
SET LOCAL synchronous_commit = on;
SELECT lives_ok(format('SELECT app.release_budget(%L)', extensions.gen_random_uuid()), 'releasing an unknown one');
SELECT is(current_setting('synchronous_commit'), 'off', 'a release commits asynchronously too');
SELECT tests.clear_authentication();
SELECT is(pg_temp.reserved_today(tests.uid('workspace_a')), 600::bigint, 'today''s usage row holds them');
SELECT tests.login_as('member_a');
SELECT throws_ok($$SELECT app.reserve_budget(tests.uid('workspace_a'), NULL, 500)$$, 'PT429',
                 'the workspace''s daily token quota is exhausted: 600 of 1000 tokens used or reserved today, 500 more requested',
                 'a reservation past the quota is refused (429), naming the budget');
SELECT is(pg_temp.error_of($$SELECT app.reserve_budget(tests.uid('workspace_a'), NULL, 500)$$), 'PT429 budget_exhausted',
          'with DETAIL budget_exhausted (the sidecar answers x-should-retry: false)');
SELECT lives_ok($$SELECT app.reserve_budget(tests.uid('workspace_a'), NULL, 400)$$, 'exactly up to the quota is fine');
SELECT throws_ok($$SELECT api.run_prompt(tests.uid('prompt_a'), '{"text": "x", "words": 1}')$$, 'PT429', NULL,
                 'reserved tokens count in the quota check of new AI requests');
SELECT lives_ok(format('SELECT app.release_budget(%L)', (SELECT id FROM t_ids WHERE label = 'r600')),
                'releasing gives the tokens back');
SELECT tests.clear_authentication();
SELECT is(pg_temp.reserved_today(tests.uid('workspace_a')), 400::bigint, 'the usage row no longer holds them');
SELECT tests.login_as('member_a');
SELECT lives_ok(format('SELECT app.release_budget(%L)', (SELECT id FROM t_ids WHERE label = 'r600')),
                'releasing twice does nothing');
SELECT tests.clear_authentication();
SELECT is(pg_temp.reserved_today(tests.uid('workspace_a')), 400::bigint, 'and gives nothing back twice');

-- A call's hold counts until its settlement replaces it with the real usage: no moment in
-- which neither counts (400 held so far)
SELECT tests.login_as('member_a');
INSERT INTO t_ids VALUES ('w500', app.reserve_budget(tests.uid('workspace_a'), NULL, 500));
INSERT INTO t_usage SELECT 'w500', id FROM app.record_ai_usage(tests.uid('workspace_a'), NULL,
    (SELECT id FROM t_ids WHERE label = 'w500'), 'chat', 'openai', 'gpt-4o-mini', NULL, 400, 100, 0, 0, 0, false,
    false, 'ok', 1);
SELECT throws_ok($$SELECT app.reserve_budget(tests.uid('workspace_a'), NULL, 101)$$, 'PT429', NULL,
                 'a recorded call not yet settled still holds its reservation');
SELECT ok(app.settle_ai_usage((SELECT id FROM t_usage WHERE label = 'w500')), 'the call is settled');
SELECT tests.clear_authentication();
SELECT is((SELECT (tokens_in + tokens_out, tokens_reserved)::text FROM api.usage_daily
           WHERE workspace_id = tests.uid('workspace_a') AND day = (now() AT TIME ZONE 'UTC')::date), '(500,400)',
          'its hold became its usage');
SELECT tests.login_as('member_a');
SELECT throws_ok($$SELECT app.reserve_budget(tests.uid('workspace_a'), NULL, 101)$$, 'PT429', NULL,
                 'which counts against the quota as the hold did');
SELECT lives_ok($$SELECT app.reserve_budget(tests.uid('workspace_a'), NULL, 100)$$, 'up to exactly the quota');

-- Who may reserve
SELECT tests.login_as('viewer_a');
SELECT throws_ok($$SELECT app.reserve_budget(tests.uid('workspace_a'), NULL, 1)$$, '42501', NULL, 'viewers cannot reserve');
SELECT tests.login_as('member_b');
SELECT throws_ok($$SELECT app.reserve_budget(tests.uid('workspace_a'), NULL, 1)$$, '42501', NULL,
                 'nor members of another workspace');
SELECT throws_ok($$SELECT app.reserve_budget(tests.uid('workspace_b'), NULL, 0)$$, '22023', NULL,
                 'a reservation needs tokens');

-- An API key's lifetime budget
SELECT tests.clear_authentication();
INSERT INTO api.memberships (workspace_id, user_id, role) VALUES (tests.uid('workspace_b'), tests.uid('admin_a'), 'admin');
SELECT tests.login_as('admin_a');
INSERT INTO t_ids VALUES ('key', (api.create_api_key(tests.uid('workspace_b'), 'budgeted', 100) ->> 'id')::uuid);
SELECT tests.authenticate_as('authenticated', jsonb_build_object('sub', tests.uid('admin_a'),
       'api_key_id', (SELECT id FROM t_ids WHERE label = 'key'), 'workspace_id', tests.uid('workspace_b')));
INSERT INTO t_ids VALUES ('k80', app.reserve_budget(tests.uid('workspace_b'), NULL, 80));
SELECT ok((SELECT id IS NOT NULL FROM t_ids WHERE label = 'k80'), 'a call with a key reserves on the key''s budget');
SELECT throws_ok($$SELECT app.reserve_budget(tests.uid('workspace_b'), NULL, 30)$$, 'PT429',
                 'the API key''s token budget is exhausted: 80 of 100 tokens used or reserved, 30 more requested',
                 'past the key''s budget is refused');
SELECT is(pg_temp.error_of($$SELECT app.reserve_budget(tests.uid('workspace_b'), NULL, 30)$$), 'PT429 budget_exhausted',
          'also as budget_exhausted');
SELECT throws_ok($$SELECT app.reserve_budget(tests.uid('workspace_b'), extensions.gen_random_uuid(), 1)$$, '42501', NULL,
                 'a call with a key cannot reserve on another key');
SELECT tests.clear_authentication();
SELECT is((SELECT tokens_reserved FROM app.api_keys WHERE id = (SELECT id FROM t_ids WHERE label = 'key')), 80::bigint,
          'the key holds the reservation');
SELECT is(pg_temp.reserved_today(tests.uid('workspace_b')), 80::bigint, 'and so does its workspace''s day');
SELECT throws_ok(format($$UPDATE app.api_keys SET tokens_reserved = 101 WHERE id = %L$$, (SELECT id FROM t_ids WHERE label = 'key')),
                 '23514', NULL, 'the constraint refuses any write past the budget, even the owner''s');

-- Expired reservations: k80 was never used; k20's call was recorded, but its caller died
-- before settling it
SELECT tests.authenticate_as('authenticated', jsonb_build_object('sub', tests.uid('admin_a'),
       'api_key_id', (SELECT id FROM t_ids WHERE label = 'key'), 'workspace_id', tests.uid('workspace_b')));
INSERT INTO t_ids VALUES ('k20', app.reserve_budget(tests.uid('workspace_b'), NULL, 20));
INSERT INTO t_usage SELECT 'k20', id FROM app.record_ai_usage(tests.uid('workspace_b'), NULL,
    (SELECT id FROM t_ids WHERE label = 'k20'), 'chat', 'openai', 'gpt-4o-mini', NULL, 10, 5, 0, 0, 0, false,
    false, 'ok', 1);
SELECT tests.clear_authentication();
UPDATE app.budget_reservations SET created_at = now() - interval '1 hour', expires_at = now() - interval '1 minute'
WHERE id IN (SELECT id FROM t_ids WHERE label IN ('k80', 'k20'));
SELECT tests.authenticate_as('worker');
SELECT is(app.release_expired_reservations(), 2, 'the worker settles the billed one and frees the other');
SELECT tests.clear_authentication();
SELECT is((SELECT (tokens_used, tokens_reserved)::text FROM app.api_keys WHERE id = (SELECT id FROM t_ids WHERE label = 'key')),
          '(15,0)', 'the key''s reservations come back, and the billed call counts its real 15 tokens');
SELECT is((SELECT (requests, tokens_in, tokens_out, tokens_reserved)::text FROM api.usage_daily
           WHERE workspace_id = tests.uid('workspace_b') AND day = (now() AT TIME ZONE 'UTC')::date), '(1,10,5,0)',
          'and so do the workspace''s');
SELECT is((SELECT count(*) FROM app.budget_reservations WHERE workspace_id = tests.uid('workspace_b')), 0::bigint,
          'no reservation is left');
SELECT tests.login_as('admin_a');
SELECT is(app.settle_ai_usage((SELECT id FROM t_usage WHERE label = 'k20')), false,
          'the caller''s settlement, coming late, changes nothing');
SELECT tests.login_as('member_a');
SELECT throws_ok('SELECT app.release_expired_reservations()', '42501', NULL, 'users cannot run the expiry job');

SELECT * FROM finish();
ROLLBACK;

-- Budget reservations: refused past the workspace's daily quota or the key's budget (PT429,
-- DETAIL budget_exhausted), released idempotently, expired ones freed by the worker; the
-- key's CHECK constraint makes overspending impossible whatever the code does.
BEGIN;
SELECT plan(24);
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
GRANT EXECUTE ON FUNCTION pg_temp.error_of(text), pg_temp.reserved_today(uuid) TO PUBLIC;

-- The workspace's daily quota
SELECT tests.login_as('member_a');
INSERT INTO t_ids VALUES ('r600', app.reserve_budget(tests.uid('workspace_a'), NULL, 600));
SELECT ok((SELECT id IS NOT NULL FROM t_ids WHERE label = 'r600'), 'a member reserves 600 of 1000 tokens');
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

-- Expired reservations
UPDATE app.budget_reservations SET created_at = now() - interval '1 hour', expires_at = now() - interval '1 minute'
WHERE id = (SELECT id FROM t_ids WHERE label = 'k80');
SELECT tests.authenticate_as('worker');
SELECT is(app.release_expired_reservations(), 1, 'the worker frees the expired reservation');
SELECT tests.clear_authentication();
SELECT is((SELECT tokens_reserved FROM app.api_keys WHERE id = (SELECT id FROM t_ids WHERE label = 'key')), 0::bigint,
          'the key''s tokens come back');
SELECT is(pg_temp.reserved_today(tests.uid('workspace_b')), 0::bigint, 'and the workspace''s');
SELECT tests.login_as('member_a');
SELECT throws_ok('SELECT app.release_expired_reservations()', '42501', NULL, 'users cannot run the expiry job');

SELECT * FROM finish();
ROLLBACK;

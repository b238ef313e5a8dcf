-- app.begin_ai_call: the caller check, the routes of the model, the cache (keyed on the first
-- route's upstream model) and, on a miss, the reservation, in one statement; refused callers
-- get nothing; app.reserve_budget keeps its contract on the moved body.
BEGIN;
SELECT plan(20);
SELECT tests.make_world();
UPDATE api.workspaces SET daily_token_quota = 1000 WHERE id = tests.uid('workspace_a');
INSERT INTO api.ai_routes (workspace_id, model, position, credential, upstream_model)
VALUES (tests.uid('workspace_a'), 'smart', 2, 'openai', 'gpt-4o'),
       (tests.uid('workspace_a'), 'smart', 1, 'anthropic', 'claude-x'),
       (tests.uid('workspace_a'), 'other', 1, 'openai', NULL);

CREATE TEMP TABLE t_calls (label text PRIMARY KEY, answer jsonb);
GRANT ALL ON t_calls TO PUBLIC;
CREATE FUNCTION pg_temp.begin(p_model text, p_key text, p_tokens bigint) RETURNS jsonb LANGUAGE sql AS $$
    SELECT app.begin_ai_call(tests.uid('workspace_a'), p_model, p_key, p_tokens, 10, NULL, interval '1 minute')
$$;
CREATE FUNCTION pg_temp.reserved_today() RETURNS bigint LANGUAGE sql AS $$
    SELECT tokens_reserved FROM api.usage_daily
    WHERE workspace_id = tests.uid('workspace_a') AND day = (now() AT TIME ZONE 'UTC')::date
$$;
GRANT EXECUTE ON FUNCTION pg_temp.begin(text, text, bigint), pg_temp.reserved_today() TO PUBLIC;

SET LOCAL synchronous_commit = on;
SELECT tests.login_as('member_a');
INSERT INTO t_calls VALUES ('smart', pg_temp.begin('smart', NULL, 300));
SELECT is((SELECT answer -> 'allowed' FROM t_calls WHERE label = 'smart'), 'true'::jsonb, 'a member may call');
SELECT is((SELECT answer -> 'manages' FROM t_calls WHERE label = 'smart'), 'false'::jsonb, 'but does not manage');
SELECT is((SELECT answer -> 'routes' FROM t_calls WHERE label = 'smart'),
          '[{"model": "smart", "credential": "anthropic", "upstream_model": "claude-x"},
            {"model": "smart", "credential": "openai", "upstream_model": "gpt-4o"}]'::jsonb,
          'the model''s routes only, in fallback order');
SELECT ok((SELECT answer ? 'reservation_id' FROM t_calls WHERE label = 'smart'), 'a call without cache reserves');
SELECT is((SELECT answer -> 'cache_key' FROM t_calls WHERE label = 'smart'), 'null'::jsonb, 'and has no cache key');
SELECT is(current_setting('synchronous_commit'), 'off', 'its transaction commits asynchronously');
SELECT tests.clear_authentication();
SELECT is(pg_temp.reserved_today(), 300::bigint, 'the tokens are held');
SELECT is((SELECT request_id FROM app.budget_reservations
           WHERE id = (SELECT (answer ->> 'reservation_id')::uuid FROM t_calls WHERE label = 'smart')), NULL::uuid,
          'by a reservation row');

-- The cache: keyed on the digest and the first route's upstream model
SELECT tests.login_as('member_a');
INSERT INTO t_calls VALUES ('miss', pg_temp.begin('smart', 'digest-1', 100));
SELECT is((SELECT answer ->> 'cache_key' FROM t_calls WHERE label = 'miss'),
          encode(sha256(convert_to('digest-1/claude-x', 'UTF8')), 'hex'), 'the key names the first route''s upstream');
SELECT ok((SELECT answer ? 'reservation_id' AND NOT answer ? 'cached' FROM t_calls WHERE label = 'miss'),
          'a miss reserves');
SELECT lives_ok(format('SELECT app.cache_store(%L, %L, ''{"content": "hi"}'', 60)', tests.uid('workspace_a'),
                       (SELECT answer ->> 'cache_key' FROM t_calls WHERE label = 'miss')), 'the answer is stored');
INSERT INTO t_calls VALUES ('hit', pg_temp.begin('smart', 'digest-1', 100));
SELECT is((SELECT answer -> 'cached' FROM t_calls WHERE label = 'hit'), '{"content": "hi"}'::jsonb,
          'the same call hits');
SELECT ok((SELECT NOT answer ? 'reservation_id' FROM t_calls WHERE label = 'hit'), 'and reserves nothing');
SELECT tests.clear_authentication();
SELECT is(pg_temp.reserved_today(), 400::bigint, 'so only the two misses hold tokens');
SELECT tests.login_as('member_a');
SELECT is(pg_temp.begin('nowhere', 'digest-1', 1) ->> 'cache_key',
          encode(sha256(convert_to('digest-1/nowhere', 'UTF8')), 'hex'), 'a model without routes keys on its name');

-- Budgets as app.reserve_budget
SELECT throws_ok($$SELECT pg_temp.begin('smart', NULL, 601)$$, 'PT429', NULL, 'past the quota: 429');
SELECT lives_ok($$SELECT app.reserve_budget(tests.uid('workspace_a'), NULL, 500)$$,
                'app.reserve_budget still reserves');
SELECT throws_ok($$SELECT app.reserve_budget(tests.uid('workspace_a'), NULL, 200)$$, 'PT429', NULL,
                 'and refuses past the quota');

-- Refused callers
SELECT tests.login_as('viewer_a');
SELECT is(pg_temp.begin('smart', 'digest-1', 1), '{"allowed": false}'::jsonb, 'a viewer gets nothing');
SELECT tests.login_as('member_b');
SELECT is(pg_temp.begin('smart', 'digest-1', 1), '{"allowed": false}'::jsonb, 'nor a member of another workspace');

SELECT * FROM finish();
ROLLBACK;

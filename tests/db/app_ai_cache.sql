-- The response cache: hit, miss, expiry, pruning, and no sharing across workspaces (nor
-- through another workspace's API key); clients never touch the table.
BEGIN;
SELECT plan(18);
SELECT tests.make_world();

CREATE TEMP TABLE t_ids (label text PRIMARY KEY, id uuid);
GRANT ALL ON t_ids TO PUBLIC;
CREATE FUNCTION pg_temp.k(p text) RETURNS text LANGUAGE sql AS $$ SELECT encode(extensions.digest(p, 'sha256'), 'hex') $$;
GRANT EXECUTE ON FUNCTION pg_temp.k(text) TO PUBLIC;

SELECT tests.login_as('member_a');
SELECT lives_ok($$SELECT app.cache_store(tests.uid('workspace_a'), pg_temp.k('hello'), '{"text": "Hi!"}', 60)$$,
                'a member stores a response');
SELECT is(app.cache_lookup(tests.uid('workspace_a'), pg_temp.k('hello')), '{"text": "Hi!"}'::jsonb, 'and finds it again');
SELECT is(app.cache_lookup(tests.uid('workspace_a'), pg_temp.k('other')), NULL, 'a different key misses');
SELECT lives_ok($$SELECT app.cache_store(tests.uid('workspace_a'), pg_temp.k('hello'), '{"text": "Hello!"}', 60)$$,
                'storing again replaces the entry');
SELECT is(app.cache_lookup(tests.uid('workspace_a'), pg_temp.k('hello')), '{"text": "Hello!"}'::jsonb, 'with the new response');
SELECT throws_ok($$SELECT app.cache_store(tests.uid('workspace_a'), 'HELLO', '{}', 60)$$, '22023', NULL,
                 'keys are hex SHA-256');
SELECT throws_ok($$SELECT app.cache_store(tests.uid('workspace_a'), pg_temp.k('x'), '{}', 0)$$, '22023', NULL,
                 'entries need a lifetime');
SELECT lives_ok($$SELECT app.cache_store(tests.uid('workspace_a'), pg_temp.k('big'),
                                         jsonb_build_object('text', repeat('x', 1100000)), 60)$$,
                'a response over 1 MB is accepted');
SELECT is(app.cache_lookup(tests.uid('workspace_a'), pg_temp.k('big')), NULL, 'but not cached');
SELECT throws_ok('SELECT * FROM app.ai_cache', '42501', NULL, 'clients cannot read the table');

-- Isolation
SELECT tests.login_as('member_b');
SELECT throws_ok($$SELECT app.cache_lookup(tests.uid('workspace_a'), pg_temp.k('hello'))$$, '42501', NULL,
                 'a member of B cannot look into A''s cache');
SELECT is(app.cache_lookup(tests.uid('workspace_b'), pg_temp.k('hello')), NULL,
          'and the same key in B''s cache misses: entries are never shared');
SELECT tests.clear_authentication();
SELECT set_config('request.jwt.claims', jsonb_build_object('sub', tests.uid('admin_a'))::text, true);
INSERT INTO t_ids VALUES ('key_a', (api.create_api_key(tests.uid('workspace_a'), 'a') ->> 'id')::uuid);
SELECT tests.authenticate_as('authenticated', jsonb_build_object('sub', tests.uid('member_b'),
       'api_key_id', (SELECT id FROM t_ids WHERE label = 'key_a'), 'workspace_id', tests.uid('workspace_a')));
SELECT throws_ok($$SELECT app.cache_lookup(tests.uid('workspace_a'), pg_temp.k('hello'))$$, '42501', NULL,
                 'not even when presenting A''s API key');
SELECT tests.authenticate_as('authenticated', jsonb_build_object('sub', tests.uid('admin_a'),
       'api_key_id', (SELECT id FROM t_ids WHERE label = 'key_a'), 'workspace_id', tests.uid('workspace_a')));
SELECT is(app.cache_lookup(tests.uid('workspace_a'), pg_temp.k('hello')), '{"text": "Hello!"}'::jsonb,
          'A''s API key itself reads A''s cache');
SELECT tests.login_as('viewer_a');
SELECT throws_ok($$SELECT app.cache_store(tests.uid('workspace_a'), pg_temp.k('v'), '{}', 60)$$, '42501', NULL,
                 'viewers cannot use the cache');

-- Expiry and pruning
SELECT tests.clear_authentication();
SELECT is((SELECT hits FROM app.ai_cache WHERE key = pg_temp.k('hello')), 2, 'hits are counted');
UPDATE app.ai_cache SET expires_at = now() - interval '1 second' WHERE key = pg_temp.k('hello');
SELECT tests.authenticate_as('worker');
SELECT is(app.cache_lookup(tests.uid('workspace_a'), pg_temp.k('hello')), NULL, 'an expired entry misses');
SELECT is(app.cache_prune(), 1, 'the worker prunes expired entries');

SELECT * FROM finish();
ROLLBACK;

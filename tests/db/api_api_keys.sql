-- API keys: created by owners/admins, shown once, stored as a digest; authentication refuses
-- revoked keys and removed creators; an API key reaches only its own workspace.
BEGIN;
SELECT plan(27);
SELECT tests.make_world();
-- admin_a is also a member of B: a key of A must still not reach B.
INSERT INTO api.memberships (workspace_id, user_id, role) VALUES (tests.uid('workspace_b'), tests.uid('admin_a'), 'member');

CREATE TEMP TABLE t_keys (label text PRIMARY KEY, created json);
GRANT ALL ON t_keys TO PUBLIC;
CREATE FUNCTION pg_temp.key_of(p_label text) RETURNS text LANGUAGE sql AS
    $$ SELECT created->>'key' FROM t_keys WHERE label = p_label $$;
CREATE FUNCTION pg_temp.id_of(p_label text) RETURNS uuid LANGUAGE sql AS
    $$ SELECT (created->>'id')::uuid FROM t_keys WHERE label = p_label $$;
GRANT EXECUTE ON FUNCTION pg_temp.key_of(text), pg_temp.id_of(text) TO PUBLIC;

SELECT tests.login_as('admin_a');
INSERT INTO t_keys VALUES ('ci', api.create_api_key(tests.uid('workspace_a'), ' CI pipeline ', 100000, 60, 10000));
INSERT INTO t_keys VALUES ('old', api.create_api_key(tests.uid('workspace_a'), 'old'));
SELECT tests.login_as('owner_a');
INSERT INTO t_keys VALUES ('owner', api.create_api_key(tests.uid('workspace_a'), 'owner''s'));

SELECT ok(pg_temp.key_of('ci') ~ '^tpk_[A-Za-z0-9_-]{40}$', 'the key is tpk_ and 40 url-safe characters');
SELECT is((SELECT created->>'prefix' FROM t_keys WHERE label = 'ci'), left(pg_temp.key_of('ci'), 12),
          'its prefix is its first 12 characters');
SELECT is((SELECT ARRAY(SELECT json_object_keys(created) ORDER BY 1) FROM t_keys WHERE label = 'ci'),
          ARRAY['created_at', 'id', 'key', 'name', 'prefix', 'requests_per_minute', 'token_budget',
                'tokens_per_minute', 'workspace_id'], 'the answer has the documented fields');
SELECT is((SELECT (created->>'name', created->>'token_budget', created->>'requests_per_minute')::text
           FROM t_keys WHERE label = 'ci'), '("CI pipeline",100000,60)', 'with the name trimmed and the limits');
SELECT isnt(pg_temp.key_of('ci'), pg_temp.key_of('old'), 'keys are random');
SELECT tests.clear_authentication();
SELECT is((SELECT digest FROM app.api_keys WHERE id = pg_temp.id_of('ci')),
          extensions.digest(pg_temp.key_of('ci'), 'sha256'), 'only the SHA-256 digest is stored');
SELECT is((SELECT count(*) FROM app.api_keys k, t_keys t
           WHERE position(t.created->>'key' IN to_jsonb(k)::text) > 0), 0::bigint, 'the key itself is nowhere');

SELECT tests.login_as('admin_a');
SELECT is((SELECT count(*) FROM api.api_keys), 3::bigint, 'admins list their workspace''s keys');
SELECT throws_ok('SELECT digest FROM app.api_keys', '42501', NULL, 'but never the digest');
SELECT hasnt_column('api', 'api_keys', 'digest', 'the view has no digest column');
SELECT tests.login_as('member_a');
SELECT is((SELECT count(*) FROM api.api_keys), 0::bigint, 'members do not see keys');
SELECT throws_ok($$SELECT api.create_api_key(tests.uid('workspace_a'), 'mine')$$, '42501',
                 'only workspace owners and admins manage API keys', 'members cannot create keys');
SELECT tests.login_as('owner_b');
SELECT throws_ok($$SELECT api.create_api_key(tests.uid('workspace_a'), 'theirs')$$, '42501', NULL,
                 'nor admins of another workspace');

-- Authentication (the sidecar, as anon)
SELECT tests.authenticate_as('anon');
SELECT results_eq(format('SELECT key_id, workspace_id, user_id, requests_per_minute, tokens_per_minute
                          FROM app.authenticate_api_key(%L)', pg_temp.key_of('ci')),
                  format($$VALUES (%L::uuid, %L::uuid, %L::uuid, 60, 10000)$$, pg_temp.id_of('ci'),
                         tests.uid('workspace_a'), tests.uid('admin_a')),
                  'a live key authenticates as its workspace and creator, with its limits');
SELECT is_empty(format('SELECT * FROM app.authenticate_api_key(%L)', 'tpk_' || repeat('x', 40)), 'an unknown key does not');
SELECT is_empty($$SELECT * FROM app.authenticate_api_key('not a key')$$, 'nor a malformed one');
SELECT tests.clear_authentication();
SELECT ok((SELECT last_used_at IS NOT NULL FROM app.api_keys WHERE id = pg_temp.id_of('ci')), 'last_used_at is kept');

-- Calls made with a key reach its workspace only
SELECT tests.authenticate_as('authenticated', jsonb_build_object('sub', tests.uid('admin_a'),
       'api_key_id', pg_temp.id_of('ci'), 'workspace_id', tests.uid('workspace_a')));
SELECT is(app.current_api_key_id(), pg_temp.id_of('ci'), 'app.current_api_key_id() reads the claim');
SELECT ok(app.may_run_ai(tests.uid('workspace_a')) AND NOT app.may_run_ai(tests.uid('workspace_b')),
          'a key of A runs AI in A, not in B (though its creator is a member of B)');
SELECT throws_ok($$SELECT api.create_api_key(tests.uid('workspace_a'), 'minted')$$, '42501',
                 'API keys cannot manage API keys', 'a key cannot mint keys');

-- Revocation
SELECT tests.login_as('member_b');
SELECT throws_ok(format('SELECT api.revoke_api_key(%L)', pg_temp.id_of('ci')), 'PT404', 'API key not found',
                 'an outsider cannot see, so cannot revoke, a key (404)');
SELECT tests.login_as('member_a');
SELECT throws_ok(format('SELECT api.revoke_api_key(%L)', pg_temp.id_of('ci')), '42501', NULL, 'members cannot revoke');
SELECT tests.login_as('owner_a');
SELECT ok((SELECT (api.revoke_api_key(pg_temp.id_of('ci'))->>'revoked_at') IS NOT NULL), 'an owner revokes a key');
SELECT tests.authenticate_as('anon');
SELECT is_empty(format('SELECT * FROM app.authenticate_api_key(%L)', pg_temp.key_of('ci')), 'a revoked key stops working');

-- The creator leaves the workspace: their keys stop working
SELECT tests.clear_authentication();
DELETE FROM api.memberships WHERE workspace_id = tests.uid('workspace_a') AND user_id = tests.uid('admin_a');
SELECT tests.authenticate_as('anon');
SELECT is_empty(format('SELECT * FROM app.authenticate_api_key(%L)', pg_temp.key_of('old')),
                'a key whose creator left the workspace stops working');
SELECT isnt_empty(format('SELECT * FROM app.authenticate_api_key(%L)', pg_temp.key_of('owner')), 'other keys still work');

SELECT tests.clear_authentication();
SELECT is((SELECT array_agg(action ORDER BY id) FROM app.audit_log WHERE target_type = 'api_keys'),
          ARRAY['api_keys.created', 'api_keys.created', 'api_keys.created', 'api_keys.updated'],
          'creating and revoking are audited (using a key is not)');

SELECT * FROM finish();
ROLLBACK;

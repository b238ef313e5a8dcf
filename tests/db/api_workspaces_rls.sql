-- api.workspaces and api.create_workspace: role x command matrix.
BEGIN;
SELECT plan(26);
SELECT tests.make_world();

SELECT tests.authenticate_as('anon');
SELECT throws_ok('SELECT * FROM api.workspaces', '42501', NULL, 'anon cannot list workspaces');
SELECT throws_ok($$SELECT api.create_workspace('x')$$, '42501', NULL, 'anon cannot create workspaces');

-- SELECT
SELECT tests.login_as('member_a');
SELECT set_eq('SELECT id FROM api.workspaces', ARRAY[tests.uid('workspace_a')], 'a member of A sees only A');
SELECT tests.login_as('viewer_a');
SELECT set_eq('SELECT id FROM api.workspaces', ARRAY[tests.uid('workspace_a')], 'a viewer of A sees only A');
SELECT tests.login_as('member_b');
SELECT set_eq('SELECT id FROM api.workspaces', ARRAY[tests.uid('workspace_b')], 'a member of B sees only B');
SELECT tests.login_as('outsider');
SELECT is((SELECT count(*) FROM api.workspaces), 0::bigint, 'a user in no workspace sees none');

-- create_workspace: the caller becomes owner
SELECT tests.login_as('outsider');
CREATE TEMP TABLE t_ws ON COMMIT DROP AS SELECT * FROM api.create_workspace('  Outsider''s Lab  ');
SELECT is((SELECT name FROM t_ws), 'Outsider''s Lab', 'create_workspace returns the workspace, name trimmed');
SELECT is((SELECT role FROM api.memberships WHERE workspace_id = (SELECT id FROM t_ws)), 'owner',
          'and makes the caller its owner');
SELECT throws_ok($$SELECT api.create_workspace('   ')$$, '23514', NULL, 'a blank name is refused (400)');
SELECT throws_ok($$SELECT api.create_workspace(repeat('x', 101))$$, '23514', NULL, 'so is a name over 100 characters');
SELECT throws_ok($$INSERT INTO api.workspaces (name) VALUES ('direct')$$, '42501', NULL,
                 'users cannot insert workspaces directly');

-- UPDATE: admins and owners rename; others cannot
SELECT tests.login_as('member_a');
SELECT is(tests.affected_rows($$UPDATE api.workspaces SET name = 'Mine' WHERE id = tests.uid('workspace_a')$$), 0::bigint,
          'a member cannot rename the workspace');
SELECT tests.login_as('viewer_a');
SELECT is(tests.affected_rows($$UPDATE api.workspaces SET name = 'Mine' WHERE id = tests.uid('workspace_a')$$), 0::bigint,
          'a viewer cannot rename the workspace');
SELECT tests.login_as('member_b');
SELECT is(tests.affected_rows($$UPDATE api.workspaces SET name = 'Mine' WHERE id = tests.uid('workspace_a')$$), 0::bigint,
          'a member of B cannot rename A');
SELECT tests.login_as('admin_a');
SELECT is(tests.affected_rows($$UPDATE api.workspaces SET name = 'Team A' WHERE id = tests.uid('workspace_a')$$), 1::bigint,
          'an admin renames the workspace');
SELECT throws_ok($$UPDATE api.workspaces SET daily_token_quota = 10 WHERE id = tests.uid('workspace_a')$$, '42501', NULL,
                 'an admin cannot raise the token quota');

-- DELETE: owners only
SELECT is(tests.affected_rows($$DELETE FROM api.workspaces WHERE id = tests.uid('workspace_a')$$), 0::bigint,
          'an admin cannot delete the workspace');
SELECT tests.login_as('owner_b');
SELECT is(tests.affected_rows($$DELETE FROM api.workspaces WHERE id = tests.uid('workspace_a')$$), 0::bigint,
          'the owner of B cannot delete A');
SELECT tests.login_as('outsider');
SELECT is(tests.affected_rows(format('DELETE FROM api.workspaces WHERE id = %L', (SELECT id FROM t_ws))), 1::bigint,
          'an owner deletes their workspace (memberships go with it)');

-- service_role, worker, analyst
SELECT tests.authenticate_as('service_role');
SELECT is((SELECT count(*) FROM api.workspaces), 2::bigint, 'the service role sees every workspace');
SELECT is(tests.affected_rows($$UPDATE api.workspaces SET daily_token_quota = 5000 WHERE id = tests.uid('workspace_b')$$),
          1::bigint, 'the service role sets quotas');
SELECT lives_ok($$INSERT INTO api.workspaces (name) VALUES ('Back office')$$, 'the service role inserts workspaces');
SELECT throws_ok($$UPDATE api.workspaces SET daily_token_quota = 0$$, '23514', NULL, 'quotas must be positive');
SELECT tests.authenticate_as('worker');
SELECT throws_ok('SELECT * FROM api.workspaces', '42501', NULL, 'the worker cannot read workspaces');
SELECT tests.clear_authentication();
SET LOCAL ROLE analyst;
SELECT throws_ok('SELECT * FROM api.workspaces', '42501', NULL, 'the analyst cannot read workspaces');
RESET ROLE;
SELECT is((SELECT details->>'name' FROM app.audit_log WHERE action = 'workspaces.updated' AND target_id = tests.uid('workspace_a')),
          'Team A', 'renames are audited');

SELECT * FROM finish();
ROLLBACK;

-- api.memberships: who manages members, the owner rules, events and audit.
BEGIN;
SELECT plan(30);
SELECT tests.make_world();

SELECT tests.authenticate_as('anon');
SELECT throws_ok('SELECT * FROM api.memberships', '42501', NULL, 'anon cannot list memberships');

-- SELECT
SELECT tests.login_as('member_a');
SELECT is((SELECT count(*) FROM api.memberships), 4::bigint, 'a member of A sees the 4 memberships of A');
SELECT tests.login_as('viewer_a');
SELECT is((SELECT count(*) FROM api.memberships WHERE workspace_id = tests.uid('workspace_a')), 4::bigint,
          'a viewer of A sees them too');
SELECT tests.login_as('member_b');
SELECT is((SELECT count(*) FROM api.memberships WHERE workspace_id = tests.uid('workspace_a')), 0::bigint,
          'a member of B sees none of A''s');

-- INSERT
SELECT tests.login_as('member_a');
SELECT throws_ok($$INSERT INTO api.memberships (workspace_id, user_id) VALUES (tests.uid('workspace_a'), tests.uid('outsider'))$$,
                 '42501', NULL, 'a member cannot add members');
SELECT tests.login_as('viewer_a');
SELECT throws_ok($$INSERT INTO api.memberships (workspace_id, user_id) VALUES (tests.uid('workspace_a'), tests.uid('outsider'))$$,
                 '42501', NULL, 'a viewer cannot add members');
SELECT tests.login_as('member_b');
SELECT throws_ok($$INSERT INTO api.memberships (workspace_id, user_id) VALUES (tests.uid('workspace_a'), tests.uid('member_b'))$$,
                 '42501', NULL, 'a member of B cannot join A');
SELECT tests.login_as('admin_a');
SELECT throws_ok($$INSERT INTO api.memberships (workspace_id, user_id) VALUES (tests.uid('workspace_b'), tests.uid('outsider'))$$,
                 '42501', NULL, 'an admin of A cannot add members to B');
SELECT throws_ok($$INSERT INTO api.memberships (workspace_id, user_id, role) VALUES (tests.uid('workspace_a'), tests.uid('outsider'), 'owner')$$,
                 '42501', NULL, 'an admin cannot make someone owner');
SELECT lives_ok($$INSERT INTO api.memberships (workspace_id, user_id, role) VALUES (tests.uid('workspace_a'), tests.uid('outsider'), 'viewer')$$,
                'an admin adds a viewer');
SELECT throws_ok($$INSERT INTO api.memberships (workspace_id, user_id) VALUES (tests.uid('workspace_a'), tests.uid('outsider'))$$,
                 '23505', NULL, 'adding someone twice is a conflict (409)');
SELECT throws_ok($$INSERT INTO api.memberships (workspace_id, user_id, role) VALUES (tests.uid('workspace_a'), tests.uid('member_b'), 'boss')$$,
                 '23514', NULL, 'unknown roles are refused (400)');
SELECT throws_ok($$INSERT INTO api.memberships (workspace_id, user_id) VALUES (tests.uid('workspace_a'), gen_random_uuid())$$,
                 '23503', NULL, 'an unknown user is a foreign-key violation (409)');

-- The README flow: an admin invites a user by email, then adds the membership.
INSERT INTO api.users (email, name) VALUES ('test@example.com', 'test');
SELECT lives_ok($$INSERT INTO api.memberships (workspace_id, user_id)
                  SELECT tests.uid('workspace_a'), id FROM api.users WHERE email = 'test@example.com'$$,
                'an admin adds the user they just invited');

-- UPDATE
SELECT is(tests.affected_rows($$UPDATE api.memberships SET role = 'admin' WHERE user_id = tests.uid('member_a')$$), 1::bigint,
          'an admin promotes a member to admin');
SELECT is(tests.affected_rows($$UPDATE api.memberships SET role = 'member' WHERE user_id = tests.uid('owner_a')$$), 0::bigint,
          'an admin cannot demote an owner');
SELECT throws_ok($$UPDATE api.memberships SET role = 'owner' WHERE user_id = tests.uid('viewer_a')$$, '42501', NULL,
                 'an admin cannot promote to owner');
SELECT tests.login_as('viewer_a');
SELECT is(tests.affected_rows($$UPDATE api.memberships SET role = 'admin' WHERE user_id = tests.uid('viewer_a')$$), 0::bigint,
          'a viewer cannot promote themself');
SELECT tests.login_as('owner_a');
SELECT throws_ok($$UPDATE api.memberships SET role = 'admin' WHERE user_id = tests.uid('owner_a')$$, '23514',
                 'the last owner of a workspace cannot leave or be demoted', 'the last owner cannot be demoted');
SELECT throws_ok($$DELETE FROM api.memberships WHERE user_id = tests.uid('owner_a')$$, '23514',
                 'the last owner of a workspace cannot leave or be demoted', 'the last owner cannot leave');
SELECT is(tests.affected_rows($$UPDATE api.memberships SET role = 'owner' WHERE user_id = tests.uid('admin_a')$$), 1::bigint,
          'an owner makes an admin owner');
SELECT is(tests.affected_rows($$DELETE FROM api.memberships WHERE user_id = tests.uid('owner_a')$$), 1::bigint,
          'with another owner in place, the first owner may leave');

-- DELETE
SELECT tests.login_as('member_b');
SELECT is(tests.affected_rows($$DELETE FROM api.memberships WHERE user_id = tests.uid('viewer_a')$$), 0::bigint,
          'a member of B cannot remove members of A');
SELECT tests.login_as('viewer_a');
SELECT is(tests.affected_rows($$DELETE FROM api.memberships WHERE user_id = tests.uid('member_a')$$), 0::bigint,
          'a viewer cannot remove others');
SELECT is(tests.affected_rows($$DELETE FROM api.memberships WHERE user_id = tests.uid('viewer_a')$$), 1::bigint,
          'but may leave');

-- service_role, worker
SELECT tests.authenticate_as('service_role');
SELECT is(tests.affected_rows($$UPDATE api.memberships SET role = 'admin' WHERE user_id = tests.uid('member_b')$$), 1::bigint,
          'the service role manages any membership');
SELECT tests.authenticate_as('worker');
SELECT throws_ok('SELECT * FROM api.memberships', '42501', NULL, 'the worker cannot read memberships');
SELECT tests.clear_authentication();

-- Events and audit
SELECT ok((SELECT count(*) FROM app.events WHERE topic = 'memberships' AND kind = 'created'
           AND entity_id = tests.uid('outsider') AND payload->>'role' = 'viewer') = 1,
          'adding a member emits a memberships/created event');
SELECT ok((SELECT count(*) FROM app.events WHERE topic = 'memberships' AND kind = 'deleted'
           AND entity_id = tests.uid('viewer_a')) = 1, 'leaving emits a memberships/deleted event');
SELECT is((SELECT details->'old'->>'role' FROM app.audit_log WHERE action = 'memberships.updated'
           AND target_id = tests.uid('member_a')), 'member', 'role changes are audited with the old role');

SELECT * FROM finish();
ROLLBACK;

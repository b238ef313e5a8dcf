-- api.users: role x command matrix, invitations by admins, and validation.
BEGIN;
SELECT plan(36);
SELECT tests.make_world();

-- anon: nothing (PostgREST answers 401).
SELECT tests.authenticate_as('anon');
SELECT throws_ok('SELECT * FROM api.users', '42501', NULL, 'anon cannot list users');
SELECT throws_ok($$INSERT INTO api.users (email, name) VALUES ('test@example.com', 'test')$$,
                 '42501', NULL, 'anon cannot create users (POST /api/users -> 401)');

-- SELECT: yourself, co-members, invitees.
SELECT tests.login_as('member_a');
SELECT set_eq('SELECT id FROM api.users',
              ARRAY[tests.uid('owner_a'), tests.uid('admin_a'), tests.uid('member_a'), tests.uid('viewer_a')],
              'a member of A sees exactly the people of A');
SELECT tests.login_as('viewer_a');
SELECT is((SELECT count(*) FROM api.users), 4::bigint, 'a viewer of A sees the 4 people of A');
SELECT tests.login_as('admin_a');
SELECT is((SELECT count(*) FROM api.users WHERE id IN (tests.uid('owner_b'), tests.uid('member_b'))), 0::bigint,
          'an admin of A sees nobody from B');
SELECT tests.login_as('member_b');
SELECT set_eq('SELECT id FROM api.users', ARRAY[tests.uid('owner_b'), tests.uid('member_b')],
              'a member of B sees exactly the people of B');
SELECT tests.login_as('outsider');
SELECT set_eq('SELECT id FROM api.users', ARRAY[tests.uid('outsider')], 'a user in no workspace sees only themself');

-- INSERT: admins and owners invite; others are refused.
SELECT tests.login_as('member_a');
SELECT throws_ok($$INSERT INTO api.users (email, name) VALUES ('new1@example.com', 'New')$$,
                 '42501', NULL, 'a member cannot invite users');
SELECT tests.login_as('viewer_a');
SELECT throws_ok($$INSERT INTO api.users (email, name) VALUES ('new2@example.com', 'New')$$,
                 '42501', NULL, 'a viewer cannot invite users');
SELECT tests.login_as('member_b');
SELECT throws_ok($$INSERT INTO api.users (email, name) VALUES ('new3@example.com', 'New')$$,
                 '42501', NULL, 'a member of B cannot invite users');
SELECT tests.login_as('admin_a');
SELECT lives_ok($$INSERT INTO api.users (email, name) VALUES ('test@example.com', 'test')$$,
                'an admin invites a user (the README smoke test body)');
SELECT is((SELECT invited_by FROM api.users WHERE email = 'test@example.com'), tests.uid('admin_a'),
          'the admin sees the invitee, recorded as invited_by');
SELECT throws_ok($$INSERT INTO api.users (email, name, invited_by) VALUES ('x@example.com', 'x', NULL)$$,
                 '42501', NULL, 'invited_by cannot be forged');
SELECT throws_ok($$INSERT INTO api.users (email, name) VALUES ('TEST@example.com', 'again')$$,
                 '23505', NULL, 'a duplicate email (any case) is a conflict (409)');
SELECT throws_ok($$INSERT INTO api.users (email, name) VALUES ('not an email', 'bad')$$,
                 '23514', 'email must be a valid email address',
                 'an invalid email is a check violation (400)');
SELECT throws_ok($$INSERT INTO api.users (email, name) VALUES ('blank@example.com', '  ')$$,
                 '23514', NULL, 'a blank name is refused');
SELECT throws_ok($$INSERT INTO api.users (email) VALUES ('noname@example.com')$$,
                 '23502', NULL, 'a missing name is a not-null violation (400)');

-- UPDATE: only your own name.
SELECT tests.login_as('member_a');
SELECT is(tests.affected_rows($$UPDATE api.users SET name = 'Mia' WHERE id = tests.uid('member_a')$$), 1::bigint,
          'a user renames themself');
SELECT is(tests.affected_rows($$UPDATE api.users SET name = 'Hacked' WHERE id = tests.uid('owner_a')$$), 0::bigint,
          'a user cannot rename a co-member');
SELECT is(tests.affected_rows($$UPDATE api.users SET name = 'Hacked' WHERE id = tests.uid('member_b')$$), 0::bigint,
          'nor anyone in another workspace');
SELECT throws_ok($$UPDATE api.users SET email = 'me@else.where' WHERE id = tests.uid('member_a')$$,
                 '42501', NULL, 'users cannot change their email themselves');
SELECT ok((SELECT updated_at FROM api.users WHERE id = tests.uid('member_a')) IS NOT NULL, 'updated_at is kept');

-- DELETE: the service role only.
SELECT throws_ok($$DELETE FROM api.users WHERE id = tests.uid('member_a')$$, '42501', NULL,
                 'users cannot delete profiles');
SELECT tests.login_as('admin_a');
SELECT throws_ok($$DELETE FROM api.users WHERE id = tests.uid('member_a')$$, '42501', NULL,
                 'admins cannot delete profiles');

-- service_role: everything.
SELECT tests.authenticate_as('service_role');
SELECT is((SELECT count(*) FROM api.users), 8::bigint, 'the service role sees every user');
SELECT lives_ok($$INSERT INTO api.users (email, name) VALUES ('svc@example.com', 'Svc')$$,
                'the service role creates users');
SELECT is(tests.affected_rows($$UPDATE api.users SET email = 'outsider2@example.test' WHERE id = tests.uid('outsider')$$),
          1::bigint, 'the service role changes emails');
SELECT is(tests.affected_rows($$DELETE FROM api.users WHERE email = 'svc@example.com'$$), 1::bigint,
          'the service role deletes users');

SELECT is(tests.affected_rows($$DELETE FROM api.users WHERE id = tests.uid('member_a')$$), 1::bigint,
          'deleting a user removes their memberships');
SELECT throws_ok($$DELETE FROM api.users WHERE id = tests.uid('owner_a')$$, '23514',
                 'the last owner of a workspace cannot leave or be demoted',
                 'but not the last owner of a workspace');
SELECT tests.clear_authentication();
SELECT ok((SELECT created_by IS NULL FROM api.documents WHERE id = tests.uid('doc_a1')),
          'their documents stay, without an author');
SELECT ok((SELECT requested_by IS NULL FROM api.ai_requests WHERE id = tests.uid('request_a1')),
          'their AI requests stay, without a requester');

-- worker and analyst: nothing.
SELECT tests.authenticate_as('worker');
SELECT throws_ok('SELECT * FROM api.users', '42501', NULL, 'the worker cannot read users');
SELECT tests.clear_authentication();
SET LOCAL ROLE analyst;
SELECT throws_ok('SELECT * FROM api.users', '42501', NULL, 'the analyst cannot read users');
SELECT throws_ok($$INSERT INTO api.users (email, name) VALUES ('a@example.com', 'a')$$, '42501', NULL,
                 'the analyst cannot write users');
RESET ROLE;
SELECT is((SELECT action FROM app.audit_log WHERE target_id = (SELECT id FROM api.users WHERE email = 'test@example.com')),
          'users.created', 'invitations are audited');

SELECT * FROM finish();
ROLLBACK;

-- api.invite_member: admins add people by email, whether or not they have an account.
BEGIN;
SELECT plan(12);
SELECT tests.make_world();

SELECT tests.login_as('admin_a');
SELECT is((SELECT role FROM api.invite_member(tests.uid('workspace_a'), '  New.Person@Example.com ', 'viewer')),
          'viewer', 'an admin invites a new email as viewer');
SELECT is((SELECT invited_by FROM api.users WHERE email = 'new.person@example.com'), tests.uid('admin_a'),
          'an invited profile is created, recorded as invited by the admin');
SELECT is((SELECT name FROM api.users WHERE email = 'new.person@example.com'), 'new.person',
          'named after the email until they sign up');
SELECT is((SELECT user_id FROM api.invite_member(tests.uid('workspace_a'), 'MEMBER_B@example.test')),
          tests.uid('member_b'), 'an existing account is reused, even one the admin could not see');
SELECT throws_ok($$SELECT api.invite_member(tests.uid('workspace_a'), 'member_b@example.test')$$, '23505', NULL,
                 'inviting a member twice is a conflict (409)');
SELECT throws_ok($$SELECT api.invite_member(tests.uid('workspace_a'), 'someone@example.com', 'owner')$$, '42501',
                 'only owners can make someone owner', 'an admin cannot invite an owner');
SELECT throws_ok($$SELECT api.invite_member(tests.uid('workspace_b'), 'someone@example.com')$$, '42501',
                 'only admins and owners of the workspace can invite members', 'nor invite into another workspace');
SELECT throws_ok($$SELECT api.invite_member(tests.uid('workspace_a'), 'not an email')$$, '23514', NULL,
                 'a malformed email is refused (400)');
SELECT throws_ok($$SELECT api.invite_member(tests.uid('workspace_a'), 'x@example.com', 'boss')$$, '23514', NULL,
                 'an unknown role is refused (400)');
SELECT tests.login_as('member_a');
SELECT throws_ok($$SELECT api.invite_member(tests.uid('workspace_a'), 'someone@example.com')$$, '42501', NULL,
                 'a member cannot invite');
SELECT tests.login_as('owner_a');
SELECT is((SELECT role FROM api.invite_member(tests.uid('workspace_a'), 'co-owner@example.com', 'owner')), 'owner',
          'an owner invites a co-owner');
SELECT tests.authenticate_as('anon');
SELECT throws_ok($$SELECT api.invite_member(tests.uid('workspace_a'), 'someone@example.com')$$, '42501', NULL,
                 'anon cannot invite');

SELECT * FROM finish();
ROLLBACK;

-- api.change_password: checks the current password, applies the policy, ends other sessions.
BEGIN;
SELECT plan(8);
SELECT tests.make_world();
SELECT auth.set_password(tests.uid('member_a'), 'first password');
INSERT INTO auth.sessions (id, user_id) VALUES
    (tests.uid('member_a session'), tests.uid('member_a')),
    (tests.uid('member_a laptop'), tests.uid('member_a'));

SELECT tests.login_as('member_a');
SELECT throws_ok($$SELECT api.change_password('not it', 'second password')$$, 'PT401',
                 'the current password is wrong', 'a wrong current password is refused (401)');
SELECT throws_ok($$SELECT api.change_password('first password', 'short')$$, '22023',
                 'password must be at least 10 characters', 'the policy applies');
SELECT throws_ok($$SELECT api.change_password('first password', 'first password')$$, '22023',
                 'the new password must differ from the current one', 'the password must change');
SELECT lives_ok($$SELECT api.change_password('first password', 'second password')$$, 'the password changes');
SELECT tests.authenticate_as('anon');
SELECT ok(api.login('member_a@example.test', 'second password')::jsonb ? 'access_token', 'the new password logs in');
SELECT throws_ok($$SELECT api.change_password('second password', 'third password')$$, '42501', NULL,
                 'anon cannot change passwords');
SELECT tests.clear_authentication();
SELECT is((SELECT revoked_reason FROM auth.sessions WHERE id = tests.uid('member_a laptop')), 'password changed',
          'other sessions are ended');
SELECT is((SELECT revoked_at FROM auth.sessions WHERE id = tests.uid('member_a session')), NULL,
          'the current session stays');

SELECT * FROM finish();
ROLLBACK;

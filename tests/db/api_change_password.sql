-- api.change_password: checks the current password, applies the policy, ends other sessions;
-- wrong current passwords are answered (401), recorded with failed logins and throttled (429).
BEGIN;
SELECT plan(16);
SELECT tests.make_world();
SELECT auth.set_password(tests.uid('member_a'), 'first password');
INSERT INTO auth.sessions (id, user_id) VALUES
    (tests.uid('member_a session'), tests.uid('member_a')),
    (tests.uid('member_a laptop'), tests.uid('member_a'));

SELECT tests.login_as('member_a');
CREATE TEMP TABLE t_wrong ON COMMIT DROP AS
    SELECT api.change_password('not it', 'second password')::jsonb AS body,
           current_setting('response.status', true) AS status;
SELECT is((SELECT status FROM t_wrong), '401', 'a wrong current password is refused (401)');
SELECT is((SELECT body FROM t_wrong),
          '{"code": "PT401", "message": "the current password is wrong", "details": null,
            "hint": "Check the current password."}'::jsonb,
          'answered with an error body, not raised (so the attempt is kept)');
SELECT throws_ok($$SELECT api.change_password('first password', 'short')$$, '22023',
                 'password must be at least 10 characters', 'the policy applies');
SELECT throws_ok($$SELECT api.change_password('first password', 'first password')$$, '22023',
                 'the new password must differ from the current one', 'the password must change');
SELECT tests.clear_authentication();
SELECT is((SELECT count(*) FROM auth.login_attempts WHERE email = 'member_a@example.test' AND NOT succeeded),
          1::bigint, 'the wrong current password is recorded as a failed attempt for the account''s email');
SELECT is((SELECT count(*) FROM app.audit_log WHERE action = 'auth.password_change_failed'
           AND actor_id = tests.uid('member_a')), 1::bigint, 'and audited');
SELECT is((SELECT revoked_at FROM auth.sessions WHERE id = tests.uid('member_a laptop')), NULL,
          'a wrong current password ends no session');

SELECT tests.login_as('member_a');
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

-- Throttling: login's counter, keyed by the email, 10 failures in 15 minutes.
SELECT tests.login_as('member_a');
SELECT is(api.change_password('not it either', 'third password')::jsonb ->> 'code', 'PT401',
          'a wrong current password after a successful change is a failure again');
SELECT tests.clear_authentication();
INSERT INTO auth.login_attempts (email, succeeded)
SELECT 'member_a@example.test', false FROM generate_series(1, 9);
SELECT tests.login_as('member_a');
SELECT throws_ok($$SELECT api.change_password('second password', 'third password')$$,
                 'PT429', 'too many failed password attempts for this account',
                 'after 10 failures the next change is throttled (429), even with the right password');
SELECT tests.authenticate_as('anon');
SELECT throws_ok($$SELECT api.login('member_a@example.test', 'second password')$$,
                 'PT429', 'too many failed login attempts for this email',
                 'and so is login: the two share one counter');
SELECT tests.clear_authentication();
UPDATE auth.login_attempts SET attempted_at = now() - interval '16 minutes' WHERE email = 'member_a@example.test';
SELECT tests.login_as('member_a');
SELECT lives_ok($$SELECT api.change_password('second password', 'third password')$$,
                'failures older than 15 minutes no longer count');

SELECT * FROM finish();
ROLLBACK;

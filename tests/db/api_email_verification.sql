-- Email verification: sign-ups are unverified until their mailed token is spent; with the
-- setting on (the default) they cannot sign in before; an invited profile is never claimed
-- by a sign-up; changing one's email goes through the new address.
BEGIN;
SELECT plan(39);
SELECT tests.make_world();

-- The raw token of the newest queued mail of a template to an address (only the mail has it).
CREATE FUNCTION pg_temp.mailed(p_template text, p_to text) RETURNS jsonb LANGUAGE sql SECURITY DEFINER AS $$
    SELECT data FROM app.mail_messages WHERE template = p_template AND lower(recipient::text) = lower(p_to)
    ORDER BY id DESC LIMIT 1
$$;
GRANT EXECUTE ON FUNCTION pg_temp.mailed(text, text) TO PUBLIC;

-- Setting on (unset): sign-up without a session ---------------------------------------------
SELECT tests.authenticate_as('anon');
CREATE TEMP TABLE t_signup ON COMMIT DROP AS
    SELECT api.signup('Vera@Example.com', 'correct horse battery', 'Vera')::jsonb AS answer;
SELECT tests.clear_authentication();
SELECT is((SELECT answer - 'user_id' - 'message' FROM t_signup),
          '{"email": "vera@example.com", "email_verified": false}'::jsonb,
          'with the setting on, signup answers the account, unverified');
SELECT ok((SELECT NOT answer ? 'access_token' FROM t_signup), 'and no session');
SELECT is((SELECT email_verified_at FROM auth.credentials c JOIN api.users u ON u.id = c.user_id
           WHERE u.email = 'vera@example.com'), NULL, 'the account is unverified');
SELECT is((SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(pg_temp.mailed('verify_email', 'vera@example.com')) k),
          ARRAY['expires_at', 'name', 'token'], 'a verify_email mail is queued with token, expires_at and name');
SELECT is(pg_temp.mailed('verify_email', 'vera@example.com') ->> 'name', 'Vera', 'addressed by name');
SELECT ok((SELECT job_id IS NOT NULL FROM app.mail_messages WHERE recipient = 'vera@example.com'),
          'in the same transaction as its mail.send job');

SELECT tests.authenticate_as('anon');
SELECT throws_ok($$SELECT api.login('vera@example.com', 'correct horse battery')$$, 'PT403',
                 'the email address has not been verified yet',
                 'an unverified account cannot log in while the setting is on (403)');
SELECT is((SELECT api.login('vera@example.com', 'wrong password!!')::jsonb ->> 'message'), 'invalid email or password',
          'a wrong password still says only that: the verification state is not revealed');

-- Verify --------------------------------------------------------------------------------------
SELECT is((SELECT api.verify_email(pg_temp.mailed('verify_email', 'vera@example.com') ->> 'token')::jsonb
                  - 'user_id'),
          '{"email": "vera@example.com", "email_verified": true, "email_changed": false}'::jsonb,
          'the mailed token verifies the address');
SELECT ok(api.login('vera@example.com', 'correct horse battery')::jsonb ? 'access_token', 'and now the login works');
CREATE TEMP TABLE t_again ON COMMIT DROP AS
    SELECT api.verify_email(pg_temp.mailed('verify_email', 'vera@example.com') ->> 'token')::jsonb AS body,
           current_setting('response.status', true) AS status;
SELECT is((SELECT status FROM t_again), '400', 'a second use of the token answers 400');
SELECT is((SELECT body FROM t_again),
          '{"code": "PT400", "message": "this verification link has already been used", "details": null, "hint": "Log in and ask for a new link, or request a password reset."}'::jsonb,
          'saying it was used, in PostgREST''s shape');
SELECT is((SELECT api.verify_email('not-a-token')::jsonb ->> 'message'), 'this verification link is not valid',
          'an unknown token is not valid');
SELECT is(current_setting('response.status', true), '400', 'with 400');
SELECT tests.clear_authentication();
SELECT is((SELECT count(*) FROM app.audit_log WHERE action = 'auth.email_verified'), 1::bigint, 'verification is audited');

-- Expiry
SELECT tests.authenticate_as('anon');
SELECT api.signup('late@example.com', 'correct horse battery');
SELECT tests.clear_authentication();
UPDATE auth.one_time_tokens SET expires_at = now() - interval '1 minute' WHERE email = 'late@example.com';
SELECT tests.authenticate_as('anon');
SELECT is((SELECT api.verify_email(pg_temp.mailed('verify_email', 'late@example.com') ->> 'token')::jsonb ->> 'message'),
          'this verification link has expired', 'an expired token is refused');
SELECT tests.clear_authentication();

-- Setting off: sign-up signs in at once, unverified logins work ------------------------------
SET LOCAL taproot.require_verified_email = off;
SELECT tests.authenticate_as('anon');
SELECT ok(api.signup('dev@example.com', 'correct horse battery')::jsonb ? 'access_token',
          'with the setting off, signup returns a session');
SELECT ok(api.login('dev@example.com', 'correct horse battery')::jsonb ? 'access_token',
          'and an unverified account logs in');
SELECT tests.clear_authentication();
SELECT is((SELECT count(*) FROM app.mail_messages WHERE recipient = 'dev@example.com' AND template = 'verify_email'),
          1::bigint, 'the verification mail is sent all the same');
SET LOCAL taproot.require_verified_email = on;
SELECT tests.authenticate_as('anon');
SELECT throws_ok($$SELECT api.login('dev@example.com', 'correct horse battery')$$, 'PT403', NULL,
                 'set on again, the same account is refused until verified');
SELECT tests.clear_authentication();

-- The takeover: signing up with an invited email -------------------------------------------
SELECT tests.login_as('admin_a');
SELECT api.invite_member(tests.uid('workspace_a'), 'invited@example.com', 'member');
SELECT tests.authenticate_as('anon');
SELECT throws_ok($$SELECT api.signup('Invited@Example.com', 'attacker password', 'Mallory')$$, '23505',
                 'this email has a pending invitation', 'signing up with an invited email is refused (409)');
SELECT tests.clear_authentication();
SELECT is((SELECT count(*) FROM auth.credentials c JOIN api.users u ON u.id = c.user_id
           WHERE u.email = 'invited@example.com'), 0::bigint, 'the invited profile gets no password');
SELECT is((SELECT name FROM api.users WHERE email = 'invited@example.com'), 'invited', 'nor the sign-up''s name');
SELECT is((SELECT count(*) FROM auth.sessions s JOIN api.users u ON u.id = s.user_id
           WHERE u.email = 'invited@example.com'), 0::bigint, 'and no session: its membership stays out of reach');

-- Change of email ---------------------------------------------------------------------------
SELECT auth.set_password(tests.uid('member_a'), 'a long password');
SELECT tests.login_as('member_a');
SELECT is((SELECT api.change_email(' New.Address@Example.com ')::jsonb - 'message'),
          '{"email": "member_a@example.test", "new_email": "new.address@example.com"}'::jsonb,
          'change_email answers the current and the new address');
SELECT tests.clear_authentication();
SELECT is((SELECT email::text FROM api.users WHERE id = tests.uid('member_a')), 'member_a@example.test',
          'the email does not change yet');
SELECT is((SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(pg_temp.mailed('email_change', 'new.address@example.com')) k),
          ARRAY['expires_at', 'name', 'new_email', 'token'], 'an email_change mail goes to the new address');
SELECT tests.authenticate_as('anon');
SELECT is((SELECT api.verify_email(pg_temp.mailed('email_change', 'new.address@example.com') ->> 'token')::jsonb ->> 'email_changed'),
          'true', 'verifying the new address changes the email');
SELECT tests.clear_authentication();
SELECT is((SELECT email::text FROM api.users WHERE id = tests.uid('member_a')), 'new.address@example.com',
          'the account now has the new address');
SELECT ok(api.login('new.address@example.com', 'a long password')::jsonb ? 'access_token',
          'and logs in with it');

-- The address of another account: the same answer, no mail.
SELECT tests.login_as('member_a');
SELECT is((SELECT api.change_email('viewer_a@example.test')::jsonb ->> 'new_email'), 'viewer_a@example.test',
          'asking for an address that has an account answers the same');
SELECT tests.clear_authentication();
SELECT is((SELECT count(*) FROM app.mail_messages WHERE recipient = 'viewer_a@example.test'), 0::bigint,
          'but mails nothing');
-- Taken between request and verification
SELECT tests.login_as('member_a');
SELECT api.change_email('race@example.com');
SELECT tests.clear_authentication();
INSERT INTO api.users (email, name) VALUES ('race@example.com', 'Racer');
SELECT tests.authenticate_as('anon');
SELECT is((SELECT api.verify_email(pg_temp.mailed('email_change', 'race@example.com') ->> 'token')::jsonb ->> 'code'),
          '23505', 'an address taken since is refused at verification');
SELECT is(current_setting('response.status', true), '409', 'with 409');
SELECT tests.login_as('member_a');
SELECT throws_ok($$SELECT api.change_email('NEW.address@example.com')$$, '22023',
                 'the new email address is the current one', 'the current address is not a change');
SELECT throws_ok($$SELECT api.change_email('not an email')$$, '23514', NULL, 'a malformed address is refused');
SELECT tests.authenticate_as('anon');
SELECT throws_ok($$SELECT api.change_email('x@example.com')$$, '42501', NULL, 'anon cannot change an email');

-- Throttling: thirty verification attempts per client address (X-Forwarded-For) and 15
-- minutes, whatever the tokens; wrong tokens are answered, not raised, so they count.
SELECT set_config('request.headers', '{"x-forwarded-for": "192.0.2.44"}', true);
SELECT lives_ok($$SELECT api.verify_email('guess-' || n) FROM generate_series(1, 30) n$$,
                'thirty wrong tokens from one address are answered');
SELECT throws_ok($$SELECT api.verify_email('guess-31')$$, 'PT429', 'too many verify email requests from this address',
                 'the 31st within 15 minutes is throttled (429)');

SELECT * FROM finish();
ROLLBACK;

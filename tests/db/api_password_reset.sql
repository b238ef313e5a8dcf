-- Password reset: the request answers the same whether or not the account exists (and mails
-- only when it does); the mailed token sets a new password once, verifies the address and
-- ends every session; requests are throttled per email.
BEGIN;
SELECT plan(23);
SELECT tests.make_world();
SELECT auth.set_password(tests.uid('member_a'), 'first password');

CREATE FUNCTION pg_temp.mailed(p_to text) RETURNS text LANGUAGE sql SECURITY DEFINER AS $$
    SELECT data ->> 'token' FROM app.mail_messages WHERE template = 'password_reset' AND lower(recipient::text) = lower(p_to)
    ORDER BY id DESC LIMIT 1
$$;
GRANT EXECUTE ON FUNCTION pg_temp.mailed(text) TO PUBLIC;
CREATE TEMP TABLE t_jobs_before ON COMMIT DROP AS SELECT count(*) AS n FROM procrastinate.procrastinate_jobs;

-- Two sessions to end later.
SELECT tests.authenticate_as('anon');
SELECT api.login('member_a@example.test', 'first password');
SELECT api.login('member_a@example.test', 'first password');

-- Enumeration-safe request ------------------------------------------------------------------
CREATE TEMP TABLE t_answers ON COMMIT DROP AS
    SELECT 'account' AS who, api.request_password_reset('Member_A@example.test')::jsonb - 'email' AS body,
           current_setting('response.status', true) AS status
    UNION ALL
    SELECT 'nobody', api.request_password_reset('nobody@example.test')::jsonb - 'email',
           current_setting('response.status', true)
    UNION ALL
    SELECT 'invited', api.request_password_reset('outsider@example.test')::jsonb - 'email',
           current_setting('response.status', true);
SELECT tests.clear_authentication();
SELECT is((SELECT body FROM t_answers WHERE who = 'account'), (SELECT body FROM t_answers WHERE who = 'nobody'),
          'an existing and an unknown email get the identical answer');
SELECT is((SELECT body FROM t_answers WHERE who = 'invited'), (SELECT body FROM t_answers WHERE who = 'nobody'),
          'so does a profile without a password (an unaccepted invitation)');
SELECT is((SELECT array_agg(DISTINCT coalesce(status, '')) FROM t_answers), ARRAY[''], 'all with status 200');
SELECT is((SELECT count(*) FROM app.mail_messages WHERE template = 'password_reset'), 1::bigint,
          'only the existing account is mailed');
SELECT is((SELECT array_agg(k ORDER BY k) FROM app.mail_messages m, jsonb_object_keys(m.data) k
           WHERE m.template = 'password_reset'),
          ARRAY['expires_at', 'name', 'token'], 'with token, expires_at and name');
SELECT is((SELECT n FROM t_jobs_before) + 1, (SELECT count(*) FROM procrastinate.procrastinate_jobs),
          'the decoy work for unknown emails leaves no job behind');
SELECT is((SELECT count(*) FROM auth.one_time_tokens WHERE kind = 'password_reset'), 1::bigint,
          'nor a token');
SELECT throws_ok($$SELECT api.request_password_reset('not an email')$$, '23514', NULL,
                 'a malformed address is refused (400)');
SELECT throws_ok($$SELECT api.request_password_reset('')$$, '22023', 'email is required', 'so is none');

-- Reset ---------------------------------------------------------------------------------------
CREATE TEMP TABLE t_token ON COMMIT DROP AS SELECT pg_temp.mailed('member_a@example.test') AS token;
GRANT SELECT ON t_token TO PUBLIC;
SELECT tests.authenticate_as('anon');
SELECT throws_ok(format('SELECT api.reset_password(%L, %L)', (SELECT token FROM t_token), 'short'), '22023',
                 'password must be at least 10 characters', 'the password policy applies');
SELECT is((SELECT api.reset_password(token, 'second password')::jsonb ->> 'sessions_ended' FROM t_token), '2',
          'the token, still unused after the refusal, resets the password and ends both sessions');
SELECT tests.clear_authentication();
SELECT is((SELECT count(*) FROM auth.sessions WHERE user_id = tests.uid('member_a') AND revoked_at IS NULL),
          0::bigint, 'no session of the account is left');
SELECT is((SELECT DISTINCT revoked_reason FROM auth.sessions WHERE user_id = tests.uid('member_a')),
          'password reset', 'they were ended by the reset');
SELECT tests.authenticate_as('anon');
SELECT ok(api.login('member_a@example.test', 'second password')::jsonb ? 'access_token', 'the new password works');
SELECT is(api.login('member_a@example.test', 'first password')::jsonb ->> 'code', 'PT401', 'the old one does not');
SELECT is((SELECT api.reset_password(token, 'third password!')::jsonb ->> 'message' FROM t_token),
          'this password reset link has already been used', 'the token works once');
SELECT is(current_setting('response.status', true), '400', 'then answers 400');
SELECT is(api.reset_password('forged', 'third password!')::jsonb ->> 'message', 'this password reset link is not valid',
          'a made-up token is not valid');

-- A newer request kills the older token; expiry.
SELECT api.request_password_reset('member_a@example.test');
SELECT tests.clear_authentication();
CREATE TEMP TABLE t_older ON COMMIT DROP AS SELECT pg_temp.mailed('member_a@example.test') AS token;
GRANT SELECT ON t_older TO PUBLIC;
SELECT tests.authenticate_as('anon');
SELECT api.request_password_reset('member_a@example.test');
SELECT is((SELECT api.reset_password(token, 'third password!')::jsonb ->> 'message' FROM t_older),
          'this password reset link is no longer valid: a newer one was sent or it was revoked',
          'a newer request revokes the older token');
SELECT tests.clear_authentication();
UPDATE auth.one_time_tokens SET expires_at = now() - interval '1 second' WHERE kind = 'password_reset' AND used_at IS NULL AND revoked_at IS NULL;
SELECT tests.authenticate_as('anon');
SELECT is(api.reset_password(pg_temp.mailed('member_a@example.test'), 'third password!')::jsonb ->> 'message',
          'this password reset link has expired', 'an expired token is refused');

-- A reset verifies the address (the token went there).
SET LOCAL taproot.require_verified_email = on;
SELECT api.signup('unverified@example.com', 'correct horse battery');
SELECT api.request_password_reset('unverified@example.com');
SELECT api.reset_password(pg_temp.mailed('unverified@example.com'), 'brand new password');
SELECT ok(api.login('unverified@example.com', 'brand new password')::jsonb ? 'access_token',
          'an unverified sign-up that resets its password is verified and logs in');

-- Throttling: five requests per email per 15 minutes (member_a has had three).
SELECT lives_ok($$SELECT api.request_password_reset('member_a@example.test') FROM generate_series(1, 2)$$,
                'up to five requests per email pass');
SELECT throws_ok($$SELECT api.request_password_reset('MEMBER_A@example.test')$$, 'PT429',
                 'too many password reset requests for this email address', 'the sixth is throttled (429)');

SELECT * FROM finish();
ROLLBACK;

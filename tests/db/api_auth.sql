-- Sign-up, login, refresh and logout: tokens, password policy, no account enumeration,
-- throttling, refresh-token rotation and reuse detection.
BEGIN;
SELECT plan(43);
-- Sign-up answers with a session only when unverified users may sign in (the development
-- setting); tests/db/api_email_verification.sql covers the production default (on).
SET LOCAL taproot.require_verified_email = off;

-- Sign-up ---------------------------------------------------------------------------------
SELECT tests.authenticate_as('anon');
CREATE TEMP TABLE t_signup ON COMMIT DROP AS
    SELECT api.signup('Ada@Example.com', 'correct horse battery', 'Ada') AS tokens;
SELECT tests.clear_authentication();

SELECT ok((SELECT tokens->>'access_token' ~ '^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$' FROM t_signup),
          'signup returns a JWT as access_token');
SELECT is((SELECT (tokens->>'expires_in')::int FROM t_signup), 3600, 'the access token lives one hour');
SELECT is((SELECT tokens->>'token_type' FROM t_signup), 'bearer', 'token_type is bearer');
SELECT ok((SELECT length(tokens->>'refresh_token') >= 40 FROM t_signup), 'signup returns an opaque refresh token');
SELECT is((SELECT name FROM api.users WHERE email = 'ada@example.com'), 'Ada', 'signup creates the profile');
SELECT ok((SELECT c.password_hash LIKE '$2a$10$%' FROM auth.credentials c JOIN api.users u ON u.id = c.user_id
           WHERE u.email = 'ada@example.com'), 'the password is stored as a bcrypt hash with cost 10');

-- The JWT: header, claims and signature (recomputed here with the secret).
CREATE TEMP TABLE t_jwt ON COMMIT DROP AS
    SELECT split_part(tokens->>'access_token', '.', 1) AS header,
           split_part(tokens->>'access_token', '.', 2) AS payload,
           split_part(tokens->>'access_token', '.', 3) AS signature
    FROM t_signup;
CREATE FUNCTION pg_temp.b64url_json(part text) RETURNS jsonb LANGUAGE sql AS $$
    SELECT convert_from(decode(rpad(translate(part, '-_', '+/'),
                                     ((length(part) + 3) / 4) * 4, '='), 'base64'), 'UTF8')::jsonb
$$;
SELECT is((SELECT pg_temp.b64url_json(header) FROM t_jwt), '{"alg": "HS256", "typ": "JWT"}'::jsonb,
          'the JWT header says HS256');
SELECT is((SELECT pg_temp.b64url_json(payload) ->> 'sub' FROM t_jwt),
          (SELECT id::text FROM api.users WHERE email = 'ada@example.com'), 'claim sub is the user id');
SELECT is((SELECT pg_temp.b64url_json(payload) ->> 'role' FROM t_jwt), 'authenticated', 'claim role is authenticated');
SELECT is((SELECT pg_temp.b64url_json(payload) ->> 'email' FROM t_jwt), 'ada@example.com', 'claim email');
SELECT is((SELECT pg_temp.b64url_json(payload) ->> 'aud' FROM t_jwt), 'taproot', 'claim aud is taproot');
SELECT ok((SELECT (pg_temp.b64url_json(payload) ->> 'session_id')::uuid IN (SELECT id FROM auth.sessions) FROM t_jwt),
          'claim session_id names a session');
SELECT is((SELECT (pg_temp.b64url_json(payload) ->> 'exp')::bigint - (pg_temp.b64url_json(payload) ->> 'iat')::bigint FROM t_jwt),
          3600::bigint, 'exp is iat + 1 hour');
SELECT is((SELECT signature FROM t_jwt),
          (SELECT translate(encode(extensions.hmac(header || '.' || payload, auth.jwt_secret(), 'sha256'), 'base64'), E'+/=\n', '-_') FROM t_jwt),
          'the signature is HMAC-SHA256 with auth.jwt_secret()');

SELECT throws_ok($$SELECT api.signup('ADA@example.com', 'another long password', 'Impostor')$$,
                 '23505', 'an account with this email already exists', 'signing up twice is a conflict (409)');
SELECT throws_ok($$SELECT api.signup('not-an-email', 'correct horse battery', 'X')$$,
                 '23514', NULL, 'a malformed email is a check violation (400)');
SELECT throws_ok($$SELECT api.signup('bob@example.com', 'short', 'Bob')$$,
                 '22023', 'password must be at least 10 characters', 'short passwords are refused (400)');
SELECT throws_ok($$SELECT api.signup('longname@example.com', 'LongName@example.com', 'X')$$,
                 '22023', 'password must not be the email address', 'the email is not a password');
SELECT throws_ok($$SELECT api.signup(NULL, 'correct horse battery', 'X')$$,
                 '22023', 'email is required', 'email is required');

-- An invited profile (created by the service role) is never claimed by signing up with its
-- email: only the invitation's token claims it (tests/db/api_invitations.sql).
SELECT tests.authenticate_as('service_role');
INSERT INTO api.users (id, email, name) VALUES (tests.uid('invitee'), 'invitee@example.com', 'Invitee');
SELECT tests.authenticate_as('anon');
SELECT throws_ok($$SELECT api.signup('invitee@example.com', 'my own password', 'Ines')$$,
                 '23505', 'this email has a pending invitation',
                 'signing up with an invited email is refused (409): no takeover of the invited profile');
SELECT tests.clear_authentication();
SELECT is((SELECT count(*) FROM auth.credentials WHERE user_id = tests.uid('invitee')), 0::bigint,
          'the invited profile still has no password');
SELECT is((SELECT name FROM api.users WHERE id = tests.uid('invitee')), 'Invitee', 'nor the name given at sign-up');
-- The invitee sets up the account (as accepting the invitation would), for the tests below.
SELECT auth.set_password(tests.uid('invitee'), 'my own password');

-- Login -------------------------------------------------------------------------------------
SELECT tests.authenticate_as('anon');
SELECT ok(api.login('ada@example.com', 'correct horse battery')::jsonb ? 'access_token', 'login with the right password');
SELECT ok(api.login('ADA@EXAMPLE.COM', 'correct horse battery')::jsonb ? 'refresh_token', 'emails are case-insensitive');
CREATE TEMP TABLE t_failures ON COMMIT DROP AS
    SELECT api.login('ada@example.com', 'wrong password!!')::text AS body,
           current_setting('response.status', true) AS status, 'wrong password' AS what
    UNION ALL
    SELECT api.login('nobody@example.com', 'wrong password!!')::text,
           current_setting('response.status', true), 'unknown email';
SELECT tests.clear_authentication();
SELECT is((SELECT status FROM t_failures WHERE what = 'wrong password'), '401', 'a wrong password answers 401');
SELECT is((SELECT body::jsonb ->> 'message' FROM t_failures WHERE what = 'wrong password'),
          'invalid email or password', 'with a message that does not say which was wrong');
SELECT is((SELECT body FROM t_failures WHERE what = 'unknown email'),
          (SELECT body FROM t_failures WHERE what = 'wrong password'),
          'an unknown email and a wrong password give the identical body');
SELECT is((SELECT status FROM t_failures WHERE what = 'unknown email'), '401', 'and the identical status');
SELECT is((SELECT count(*) FROM auth.login_attempts WHERE email = 'nobody@example.com' AND NOT succeeded),
          1::bigint, 'failed attempts are recorded (the function commits)');
SELECT is((SELECT json_typeof(api.login('invitee@example.com', NULL))), 'object',
          'a missing password is just a failed login');

-- Throttling: 10 failures in 15 minutes lock the email out.
INSERT INTO auth.login_attempts (email, succeeded)
SELECT 'ada@example.com', false FROM generate_series(1, 9);
SELECT tests.authenticate_as('anon');
SELECT throws_ok($$SELECT api.login('ada@example.com', 'correct horse battery')$$,
                 'PT429', 'too many failed login attempts for this email',
                 'the 11th attempt after 10 failures is throttled (429), even with the right password');
SELECT tests.clear_authentication();
UPDATE auth.login_attempts SET attempted_at = now() - interval '16 minutes' WHERE email = 'ada@example.com';
SELECT ok(api.login('ada@example.com', 'correct horse battery')::jsonb ? 'access_token',
          'failures older than 15 minutes no longer count');

-- Refresh: single use, rotated; reuse revokes the session -----------------------------------
SELECT tests.authenticate_as('anon');
CREATE TEMP TABLE t_refresh ON COMMIT DROP AS
    SELECT (SELECT tokens->>'refresh_token' FROM t_signup) AS first,
           api.refresh((SELECT tokens->>'refresh_token' FROM t_signup)) AS second;
SELECT ok((SELECT second::jsonb ? 'access_token' FROM t_refresh), 'a refresh token buys a new access token');
SELECT isnt((SELECT second->>'refresh_token' FROM t_refresh), (SELECT first FROM t_refresh),
            'and a new refresh token (rotation)');
SELECT is((SELECT api.refresh(first)::jsonb ->> 'code' FROM t_refresh), 'PT401',
          'a spent refresh token is refused');
SELECT is(current_setting('response.status', true), '401', 'with status 401');
SELECT tests.clear_authentication();
SELECT is((SELECT revoked_reason FROM auth.sessions s JOIN auth.refresh_tokens t ON t.session_id = s.id
           WHERE t.token_hash = extensions.digest((SELECT first FROM t_refresh), 'sha256')),
          'refresh token reused', 'reusing a spent refresh token revokes the session');
SELECT tests.authenticate_as('anon');
SELECT throws_ok(format('SELECT api.refresh(%L)', (SELECT second->>'refresh_token' FROM t_refresh)),
                 'PT401', 'invalid or expired refresh token', 'so even the newest token of that session dies');
SELECT throws_ok($$SELECT api.refresh('made-up-token')$$, 'PT401', 'invalid or expired refresh token',
                 'unknown refresh tokens are refused (401)');

-- Logout --------------------------------------------------------------------------------------
CREATE TEMP TABLE t_login ON COMMIT DROP AS SELECT api.login('invitee@example.com', 'my own password') AS tokens;
SELECT tests.clear_authentication();
SELECT tests.authenticate_as('authenticated', jsonb_build_object(
    'sub', tests.uid('invitee'),
    'session_id', (SELECT s.session_id FROM auth.refresh_tokens s
                   WHERE s.token_hash = extensions.digest((SELECT tokens->>'refresh_token' FROM t_login), 'sha256'))));
SELECT lives_ok('SELECT api.logout()', 'a signed-in user logs out');
SELECT tests.authenticate_as('anon');
SELECT throws_ok(format('SELECT api.refresh(%L)', (SELECT tokens->>'refresh_token' FROM t_login)),
                 'PT401', NULL, 'after logout the refresh token is dead');
SELECT throws_ok('SELECT api.logout()', '42501', NULL, 'anon cannot call logout');
SELECT tests.clear_authentication();

SELECT is((SELECT count(DISTINCT action) FROM app.audit_log
           WHERE action IN ('auth.signup', 'auth.login', 'auth.login_failed', 'auth.refresh',
                            'auth.refresh_token_reused', 'auth.logout')),
          6::bigint, 'every kind of auth event is audited');

SELECT * FROM finish();
ROLLBACK;

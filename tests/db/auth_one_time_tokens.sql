-- One-time tokens: random, digests only, single use, expiring, revocable; the verification
-- setting; the client address; the shared throttle of the token routes.
BEGIN;
SELECT plan(27);
SELECT tests.make_world();

-- Issue and store --------------------------------------------------------------------------
CREATE TEMP TABLE t_issued ON COMMIT DROP AS
    SELECT 1 AS n, * FROM auth.issue_token('password_reset', tests.uid('member_a'), 'member_a@example.test');
INSERT INTO t_issued SELECT 2, * FROM auth.issue_token('password_reset', tests.uid('member_a'), 'member_a@example.test');

SELECT ok((SELECT token ~ '^[A-Za-z0-9_-]{43}$' FROM t_issued WHERE n = 1),
          'a token is 32 random bytes in base64url (43 characters)');
SELECT isnt((SELECT token FROM t_issued WHERE n = 1), (SELECT token FROM t_issued WHERE n = 2),
            'two tokens differ');
SELECT is((SELECT count(*) FROM auth.one_time_tokens t JOIN t_issued i ON t.digest = extensions.digest(i.token, 'sha256')),
          2::bigint, 'each token is stored as its SHA-256 digest');
SELECT is((SELECT count(*) FROM auth.one_time_tokens t, t_issued i
           WHERE position(convert_to(i.token, 'UTF8') IN t.digest) > 0 OR t.email::text = i.token),
          0::bigint, 'the raw token is stored nowhere in the table');
SELECT ok((SELECT expires_at BETWEEN now() + interval '59 minutes' AND now() + interval '61 minutes'
           FROM t_issued WHERE n = 1), 'a password reset token lives one hour');
SELECT is(ARRAY[auth.token_lifetime('invitation'), auth.token_lifetime('email_verification'),
                auth.token_lifetime('email_change'), auth.token_lifetime('password_reset')],
          ARRAY[interval '7 days', interval '24 hours', interval '24 hours', interval '1 hour'],
          'lifetimes: invitation 7 days, verification and email change 24 hours, reset 1 hour');

-- States -------------------------------------------------------------------------------------
SELECT is((SELECT state FROM auth.find_token('{password_reset}', (SELECT token FROM t_issued WHERE n = 1))),
          'revoked', 'issuing a new token of the same kind revokes the earlier one');
SELECT is((SELECT state FROM auth.find_token('{password_reset}', (SELECT token FROM t_issued WHERE n = 2))),
          'ok', 'the newest token is live');
SELECT is((SELECT state FROM auth.find_token('{email_verification}', (SELECT token FROM t_issued WHERE n = 2))),
          'unknown', 'a token is only found for its own kind');
SELECT is((SELECT state FROM auth.find_token('{password_reset}', 'made-up-token')), 'unknown',
          'an unknown token is unknown');
SELECT is((SELECT state FROM auth.find_token('{password_reset}', NULL)), 'unknown', 'and so is NULL');
SELECT auth.spend_token((SELECT token_id FROM auth.find_token('{password_reset}', (SELECT token FROM t_issued WHERE n = 2))));
SELECT is((SELECT state FROM auth.find_token('{password_reset}', (SELECT token FROM t_issued WHERE n = 2))),
          'used', 'a spent token is used: single use');
CREATE TEMP TABLE t_old ON COMMIT DROP AS
    SELECT * FROM auth.issue_token('email_verification', tests.uid('viewer_a'), 'viewer_a@example.test');
UPDATE auth.one_time_tokens SET expires_at = now() - interval '1 second'
WHERE digest = extensions.digest((SELECT token FROM t_old), 'sha256');
SELECT is((SELECT state FROM auth.find_token('{email_verification}', (SELECT token FROM t_old))), 'expired',
          'a token past its expiry is expired');
SELECT throws_ok($$INSERT INTO auth.one_time_tokens (kind, user_id, email, digest, expires_at)
                   VALUES ('invitation', md5('member_a')::uuid, 'x@example.com', extensions.digest('x', 'sha256'), now())$$,
                 '23514', NULL, 'an invitation token must belong to an invitation');

-- Verified addresses ---------------------------------------------------------------------------
SELECT auth.set_password(tests.uid('member_a'), 'a long password');
SELECT isnt((SELECT email_verified_at FROM auth.credentials WHERE user_id = tests.uid('member_a')), NULL,
            'an account the owner creates (seed, back office) counts as verified');

-- The setting ------------------------------------------------------------------------------------
SELECT ok(auth.require_verified_email(), 'unset, verified email is required (the production default)');
SET LOCAL taproot.require_verified_email = off;
SELECT ok(NOT auth.require_verified_email(), 'off turns it off');
SET LOCAL taproot.require_verified_email = 'false';
SELECT ok(NOT auth.require_verified_email(), 'false too');
SET LOCAL taproot.require_verified_email = on;
SELECT ok(auth.require_verified_email(), 'on turns it on');
SET LOCAL taproot.require_verified_email = 'maybe';
SELECT ok(auth.require_verified_email(), 'anything else keeps it on (fail safe)');
RESET taproot.require_verified_email;

-- The client address -----------------------------------------------------------------------------
SELECT is(auth.client_ip(), NULL, 'without request headers there is no client address');
SELECT set_config('request.headers', '{"x-forwarded-for": "203.0.113.9, 198.51.100.7"}', true);
SELECT is(auth.client_ip(), '198.51.100.7', 'the last X-Forwarded-For entry: what the nearest proxy saw');

-- Throttle ---------------------------------------------------------------------------------------
SELECT lives_ok($$SELECT auth.throttle('test_route', 'Someone@Example.com') FROM generate_series(1, 5)$$,
                'five requests per email and route pass');
SELECT throws_ok($$SELECT auth.throttle('test_route', 'someone@example.com')$$, 'PT429',
                 'too many test route requests for this email address',
                 'the sixth for the same email (any case) within 15 minutes is refused (429)');
SELECT lives_ok($$SELECT auth.throttle('other_route', 'someone@example.com')$$, 'other routes have their own budget');
SELECT lives_ok($$SELECT auth.throttle('ip_route', 'user' || n || '@example.com') FROM generate_series(1, 30) n$$,
                'thirty requests from one address pass');
SELECT throws_ok($$SELECT auth.throttle('ip_route', 'user31@example.com')$$, 'PT429',
                 'too many ip route requests from this address', 'the 31st from that address is refused (429)');

SELECT * FROM finish();
ROLLBACK;

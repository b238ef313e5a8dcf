-- api.refresh: a spent refresh token presented again revokes its session, also after it expired.
BEGIN;
SELECT plan(6);
-- Sign-up answers with a session only when unverified users may sign in.
SET LOCAL taproot.require_verified_email = off;

SELECT tests.authenticate_as('anon');
CREATE TEMP TABLE t_tokens AS
SELECT api.signup('reuse@example.com', 'correct horse battery', 'Reuse')::jsonb AS first;
ALTER TABLE t_tokens ADD COLUMN second jsonb;
UPDATE t_tokens SET second = api.refresh(first ->> 'refresh_token')::jsonb;
SELECT ok((SELECT second ? 'refresh_token' FROM t_tokens), 'the first refresh token is spent on a new pair');

-- The spent token ages past its 30 days; the session lives on through the newer one.
SELECT tests.clear_authentication();
UPDATE auth.refresh_tokens SET issued_at = now() - interval '31 days', expires_at = now() - interval '1 day'
WHERE token_hash = extensions.digest((SELECT first ->> 'refresh_token' FROM t_tokens), 'sha256');

SELECT tests.authenticate_as('anon');
SELECT lives_ok(format('SELECT api.refresh(%L)', (SELECT first ->> 'refresh_token' FROM t_tokens)),
                'presenting the expired spent token answers without raising (so the revocation is kept)');
SELECT is(current_setting('response.status', true), '401', 'with status 401');
SELECT tests.clear_authentication();
SELECT is((SELECT s.revoked_reason FROM auth.sessions s JOIN auth.refresh_tokens t ON t.session_id = s.id
           WHERE t.token_hash = extensions.digest((SELECT first ->> 'refresh_token' FROM t_tokens), 'sha256')),
          'refresh token reused', 'and revokes the session as reuse');
SELECT tests.authenticate_as('anon');
SELECT throws_ok(format('SELECT api.refresh(%L)', (SELECT second ->> 'refresh_token' FROM t_tokens)),
                 'PT401', 'invalid or expired refresh token', 'so the newest token of that session dies too');
SELECT throws_ok($$SELECT api.refresh('never-issued')$$, 'PT401', 'invalid or expired refresh token',
                 'unknown tokens still answer PT401');

SELECT * FROM finish();
ROLLBACK;

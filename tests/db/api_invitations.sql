-- Invitations by token: invite (api.invite_member or an admin's POST /api/users) mails a token;
-- accepting spends it once and sets up the account and the membership; admins list, resend
-- (the old token dies) and revoke invitations of their own workspaces only.
BEGIN;
SELECT plan(44);
SELECT tests.make_world();

CREATE FUNCTION pg_temp.mailed(p_to text) RETURNS jsonb LANGUAGE sql SECURITY DEFINER AS $$
    SELECT data FROM app.mail_messages WHERE template = 'invitation' AND lower(recipient::text) = lower(p_to)
    ORDER BY id DESC LIMIT 1
$$;
GRANT EXECUTE ON FUNCTION pg_temp.mailed(text) TO PUBLIC;
CREATE FUNCTION pg_temp.invitation(p_email text) RETURNS uuid LANGUAGE sql SECURITY DEFINER AS $$
    SELECT id FROM app.invitations WHERE email = p_email::extensions.citext ORDER BY created_at DESC LIMIT 1
$$;
GRANT EXECUTE ON FUNCTION pg_temp.invitation(text) TO PUBLIC;

-- Invite ----------------------------------------------------------------------------------------
SELECT tests.login_as('admin_a');
SELECT is((SELECT role FROM api.invite_member(tests.uid('workspace_a'), 'Newcomer@Example.com', 'viewer')), 'viewer',
          'invite_member still answers the membership');
SELECT tests.clear_authentication();
SELECT is(pg_temp.mailed('newcomer@example.com') - 'token' - 'expires_at',
          '{"workspace_name": "Workspace A", "inviter_name": "Admin A", "role": "viewer"}'::jsonb,
          'an invitation mail is queued with the workspace, the inviter and the role');
SELECT ok(pg_temp.mailed('newcomer@example.com') ->> 'token' ~ '^[A-Za-z0-9_-]{43}$', 'and the token');
SELECT ok((SELECT (pg_temp.mailed('newcomer@example.com') ->> 'expires_at')::timestamptz
           BETWEEN now() + interval '6 days 23 hours' AND now() + interval '7 days 1 hour'), 'valid for 7 days');
SELECT is((SELECT count(*) FROM auth.one_time_tokens
           WHERE digest = extensions.digest(pg_temp.mailed('newcomer@example.com') ->> 'token', 'sha256')),
          1::bigint, 'stored as a digest');

-- Listing
SELECT tests.login_as('admin_a');
SELECT is((SELECT status || ' ' || email || ' ' || role || ' ' || workspace_name FROM api.invitations),
          'pending newcomer@example.com viewer Workspace A', 'the admin lists the pending invitation');
SELECT tests.login_as('member_a');
SELECT is((SELECT count(*) FROM api.invitations), 0::bigint, 'a member sees no invitations');
SELECT tests.login_as('owner_b');
SELECT is((SELECT count(*) FROM api.invitations), 0::bigint, 'nor does another workspace''s owner');
SELECT tests.authenticate_as('anon');
SELECT throws_ok('SELECT * FROM api.invitations', '42501', NULL, 'anon cannot list invitations');

-- The takeover attempt ------------------------------------------------------------------------
SELECT throws_ok($$SELECT api.signup('newcomer@example.com', 'attacker password')$$, '23505',
                 'this email has a pending invitation', 'signing up with the invited email is refused');

-- Accept -----------------------------------------------------------------------------------------
SELECT is(api.accept_invitation('made-up', 'a long password')::jsonb ->> 'message', 'this invitation link is not valid',
          'a made-up token is refused');
SELECT is(current_setting('response.status', true), '400', 'with 400');
SELECT throws_ok(format('SELECT api.accept_invitation(%L, %L)', pg_temp.mailed('newcomer@example.com') ->> 'token', 'short'),
                 '22023', 'password must be at least 10 characters', 'the password policy applies');
CREATE TEMP TABLE t_accept ON COMMIT DROP AS
    SELECT api.accept_invitation(pg_temp.mailed('newcomer@example.com') ->> 'token', 'newcomer password', 'Nina')::jsonb AS answer;
SELECT ok((SELECT answer ? 'access_token' AND answer ? 'refresh_token' FROM t_accept),
          'accepting answers a session, as login does');
SELECT tests.clear_authentication();
SELECT is((SELECT name FROM api.users WHERE email = 'newcomer@example.com'), 'Nina', 'with the name given');
SELECT isnt((SELECT c.email_verified_at FROM auth.credentials c JOIN api.users u ON u.id = c.user_id
             WHERE u.email = 'newcomer@example.com'), NULL, 'the account is set up, its address verified');
SELECT is((SELECT m.role FROM api.memberships m JOIN api.users u ON u.id = m.user_id
           WHERE u.email = 'newcomer@example.com' AND m.workspace_id = tests.uid('workspace_a')), 'viewer',
          'and is a viewer of the workspace');
SELECT tests.authenticate_as('anon');
SELECT ok(api.login('newcomer@example.com', 'newcomer password')::jsonb ? 'access_token', 'the password logs in');
SELECT is(api.accept_invitation(pg_temp.mailed('newcomer@example.com') ->> 'token', 'another password')::jsonb ->> 'message',
          'this invitation link has already been used', 'the token works once');
SELECT tests.login_as('admin_a');
SELECT is((SELECT status FROM api.invitations WHERE email = 'newcomer@example.com'), 'accepted', 'listed as accepted');

-- An existing account is invited: accepting checks its password.
SELECT tests.clear_authentication();
SELECT auth.set_password(tests.uid('member_b'), 'member b password');
SELECT tests.login_as('admin_a');
SELECT api.invite_member(tests.uid('workspace_a'), 'member_b@example.test');
SELECT tests.authenticate_as('anon');
SELECT is(api.accept_invitation(pg_temp.mailed('member_b@example.test') ->> 'token', 'not my password')::jsonb ->> 'code',
          'PT401', 'an existing account accepts only with its own password');
SELECT is(current_setting('response.status', true), '401', 'else 401');
SELECT ok(api.accept_invitation(pg_temp.mailed('member_b@example.test') ->> 'token', 'member b password')::jsonb ? 'access_token',
          'with it, accepting logs in');

-- Resend -------------------------------------------------------------------------------------
SELECT tests.login_as('admin_a');
SELECT api.invite_member(tests.uid('workspace_a'), 'slow@example.com');
SELECT tests.clear_authentication();
CREATE TEMP TABLE t_first ON COMMIT DROP AS SELECT pg_temp.mailed('slow@example.com') ->> 'token' AS token;
GRANT SELECT ON t_first TO PUBLIC;
SELECT tests.login_as('admin_a');
SELECT is((SELECT status FROM api.resend_invitation(pg_temp.invitation('slow@example.com'))), 'pending',
          'an admin resends an invitation');
SELECT tests.clear_authentication();
SELECT isnt(pg_temp.mailed('slow@example.com') ->> 'token', (SELECT token FROM t_first), 'with a new token');
SELECT is((SELECT count(*) FROM app.mail_messages WHERE recipient = 'slow@example.com'), 2::bigint, 'in a second mail');
SELECT tests.authenticate_as('anon');
SELECT is((SELECT api.accept_invitation(token, 'slow password!!')::jsonb ->> 'message' FROM t_first),
          'this invitation link is no longer valid: a newer one was sent or it was revoked', 'the old token is dead');
SELECT ok(api.accept_invitation(pg_temp.mailed('slow@example.com') ->> 'token', 'slow password!!')::jsonb ? 'access_token',
          'the new one works');
SELECT tests.login_as('admin_a');
SELECT throws_ok(format('SELECT api.resend_invitation(%L)', pg_temp.invitation('slow@example.com')), 'PT409',
                 'this invitation has already been accepted', 'an accepted invitation is not resent (409)');

-- Revoke -------------------------------------------------------------------------------------
SELECT api.invite_member(tests.uid('workspace_a'), 'unwanted@example.com', 'member');
SELECT tests.login_as('member_a');
SELECT throws_ok(format('SELECT api.revoke_invitation(%L)', pg_temp.invitation('unwanted@example.com')), 'PT404',
                 'no invitation with this id', 'a member cannot revoke (404, as if it did not exist)');
SELECT tests.login_as('owner_b');
SELECT throws_ok(format('SELECT api.resend_invitation(%L)', pg_temp.invitation('unwanted@example.com')), 'PT404',
                 'no invitation with this id', 'nor can another workspace''s owner resend');
SELECT tests.login_as('admin_a');
SELECT is((SELECT status FROM api.revoke_invitation(pg_temp.invitation('unwanted@example.com'))), 'revoked',
          'an admin revokes the invitation');
SELECT tests.clear_authentication();
SELECT is((SELECT count(*) FROM api.memberships m JOIN api.users u ON u.id = m.user_id WHERE u.email = 'unwanted@example.com'),
          0::bigint, 'the invitee, who never set up the account, leaves the workspace');
SELECT tests.authenticate_as('anon');
SELECT is(api.accept_invitation(pg_temp.mailed('unwanted@example.com') ->> 'token', 'unwanted password')::jsonb ->> 'message',
          'this invitation link is no longer valid: a newer one was sent or it was revoked', 'the token is dead');
SELECT tests.login_as('admin_a');
SELECT throws_ok(format('SELECT api.resend_invitation(%L)', pg_temp.invitation('unwanted@example.com')), 'PT409',
                 'this invitation was revoked', 'a revoked invitation is not resent');
SELECT lives_ok(format('SELECT api.revoke_invitation(%L)', pg_temp.invitation('unwanted@example.com')),
                'revoking twice is harmless');
SELECT tests.authenticate_as('anon');
SELECT throws_ok(format('SELECT api.revoke_invitation(%L)', pg_temp.invitation('unwanted@example.com')), '42501', NULL,
                 'anon cannot revoke');

-- Removing the membership revokes the open invitation.
SELECT tests.login_as('admin_a');
SELECT api.invite_member(tests.uid('workspace_a'), 'removed@example.com');
SELECT tests.clear_authentication();
DELETE FROM api.memberships WHERE user_id = (SELECT id FROM api.users WHERE email = 'removed@example.com');
SELECT tests.authenticate_as('anon');
SELECT is(api.accept_invitation(pg_temp.mailed('removed@example.com') ->> 'token', 'removed password')::jsonb ->> 'code',
          'PT400', 'a person removed from the workspace cannot come back through the invitation');

-- Expiry
SELECT tests.login_as('admin_a');
SELECT api.invite_member(tests.uid('workspace_a'), 'late@example.com');
SELECT tests.clear_authentication();
UPDATE auth.one_time_tokens SET expires_at = now() - interval '1 second'
WHERE invitation_id = pg_temp.invitation('late@example.com');
UPDATE app.invitations SET expires_at = now() - interval '1 second' WHERE id = pg_temp.invitation('late@example.com');
SELECT tests.authenticate_as('anon');
SELECT is(api.accept_invitation(pg_temp.mailed('late@example.com') ->> 'token', 'late password!!')::jsonb ->> 'message',
          'this invitation link has expired', 'an expired invitation is refused');
SELECT tests.login_as('admin_a');
SELECT is((SELECT status FROM api.invitations WHERE email = 'late@example.com'), 'expired', 'and listed as expired');
SELECT is((SELECT status FROM api.resend_invitation(pg_temp.invitation('late@example.com'))), 'pending',
          'resending gives it a new week');

-- POST /api/users by an admin invites to the account (no workspace) ---------------------------
INSERT INTO api.users (email, name) VALUES ('direct@example.com', 'Direct');
SELECT tests.clear_authentication();
SELECT is(pg_temp.mailed('direct@example.com') - 'token' - 'expires_at',
          '{"workspace_name": null, "inviter_name": "Admin A", "role": null}'::jsonb,
          'an admin''s POST /api/users mails an invitation without a workspace');
SELECT tests.login_as('admin_a');
SELECT is((SELECT status FROM api.invitations WHERE email = 'direct@example.com'), 'pending', 'which its inviter lists');
SELECT tests.authenticate_as('anon');
SELECT ok(api.accept_invitation(pg_temp.mailed('direct@example.com') ->> 'token', 'direct password')::jsonb ? 'access_token',
          'and which sets up the account');

SELECT * FROM finish();
ROLLBACK;

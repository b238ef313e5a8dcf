-- Deploy taproot:api_invitations to pg
-- requires: auth_one_time_tokens, api_invite_member, api_email_verification, api_memberships_rls, api_users_rls, app_permissions, app_mail, app_audit_log
-- Invitations by token. api.invite_member (and an admin's POST /api/users, through a trigger)
-- records an invitation, issues its token (7 days) and queues the invitation mail in the same
-- transaction. api.accept_invitation spends the token: it sets the password of an invited
-- profile (or checks the password of an existing account), makes sure of the membership and
-- logs in. Workspace admins list their workspaces' invitations (api.invitations), resend them
-- (a new token; the old one dies) and revoke them (the token dies and an unclaimed invitee's
-- membership goes). Removing a membership revokes the invitations into it.
BEGIN;

-- The invitation mail for an invitation: a new token (earlier ones die) and the message.
CREATE FUNCTION auth.send_invitation(p_invitation_id uuid)
RETURNS timestamptz
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    inv        record;
    mail_token record;
BEGIN
    SELECT i.id, i.user_id, i.email::text AS email, i.role, w.name AS workspace_name, inviter.name AS inviter_name
    INTO STRICT inv
    FROM app.invitations i
    LEFT JOIN api.workspaces w ON w.id = i.workspace_id
    LEFT JOIN api.users inviter ON inviter.id = i.invited_by
    WHERE i.id = p_invitation_id;
    SELECT * INTO mail_token FROM auth.issue_token('invitation', inv.user_id, inv.email, inv.id);
    UPDATE app.invitations i SET expires_at = mail_token.expires_at WHERE i.id = inv.id;
    PERFORM app.queue_mail('invitation', inv.email, pg_catalog.jsonb_build_object(
        'token', mail_token.token, 'expires_at', mail_token.expires_at,
        'workspace_name', inv.workspace_name, 'inviter_name', inv.inviter_name, 'role', inv.role));
    RETURN mail_token.expires_at;
END
$$;
COMMENT ON FUNCTION auth.send_invitation(uuid) IS
    'Issue a new invitation token (earlier ones die) and queue the invitation mail; returns its expiry';

CREATE FUNCTION auth.is_invitation_admin(p_workspace_id uuid, p_invited_by uuid)
RETURNS boolean
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = ''
AS $$
    SELECT app.current_user_id() IS NOT NULL
       AND CASE WHEN p_workspace_id IS NULL THEN p_invited_by = app.current_user_id()
                ELSE app.has_workspace_role(p_workspace_id, '{owner,admin}') END
$$;
COMMENT ON FUNCTION auth.is_invitation_admin(uuid, uuid) IS
    'May the caller manage this invitation: an admin or owner of its workspace, or its inviter when it has none';

-- POST /api/users by an admin creates an invited profile (invited_by is the admin): that
-- profile gets an invitation to the account, without a workspace. api.invite_member sets
-- taproot.inviting around its own insert because it records its invitation itself.
CREATE FUNCTION app.invite_created_user()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    invitation_id uuid;
BEGIN
    IF NEW.invited_by IS NOT NULL
       AND coalesce(pg_catalog.current_setting('taproot.inviting', true), '') <> 'on' THEN
        PERFORM auth.throttle('invite', NEW.email::text, 120);
        INSERT INTO app.invitations (workspace_id, user_id, email, role, invited_by)
        VALUES (NULL, NEW.id, NEW.email, NULL, NEW.invited_by)
        RETURNING id INTO invitation_id;
        PERFORM auth.send_invitation(invitation_id);
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION app.invite_created_user() IS
    'AFTER INSERT trigger on api.users: an invited profile (invited_by set) gets an invitation token and mail';
CREATE TRIGGER users_invite AFTER INSERT ON api.users
    FOR EACH ROW EXECUTE FUNCTION app.invite_created_user();

-- A membership removed while its invitation is still open: the invitation goes with it, so
-- accepting later cannot bring the person back.
CREATE FUNCTION app.revoke_invitations_of_membership()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = ''
AS $$
BEGIN
    UPDATE app.invitations i SET revoked_at = pg_catalog.now(), revoked_by = app.current_user_id()
    WHERE i.workspace_id = OLD.workspace_id AND i.user_id = OLD.user_id
      AND i.accepted_at IS NULL AND i.revoked_at IS NULL;
    UPDATE auth.one_time_tokens t SET revoked_at = pg_catalog.now()
    FROM app.invitations i
    WHERE t.invitation_id = i.id AND i.workspace_id = OLD.workspace_id AND i.user_id = OLD.user_id
      AND t.used_at IS NULL AND t.revoked_at IS NULL;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION app.revoke_invitations_of_membership() IS
    'AFTER DELETE trigger on api.memberships: revoke the open invitations (and tokens) into that membership';
CREATE TRIGGER memberships_revoke_invitations AFTER DELETE ON api.memberships
    FOR EACH ROW EXECUTE FUNCTION app.revoke_invitations_of_membership();

CREATE OR REPLACE FUNCTION api.invite_member(workspace_id uuid, email text, role text DEFAULT 'member',
                                             name text DEFAULT NULL)
RETURNS api.memberships
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    caller        uuid := app.current_user_id();
    invitee       uuid;
    address       app.email_address;
    membership    api.memberships;
    invitation_id uuid;
BEGIN
    IF caller IS NULL
       OR NOT app.has_workspace_role(invite_member.workspace_id, '{owner,admin}') THEN
        RAISE EXCEPTION 'only admins and owners of the workspace can invite members'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF invite_member.role = 'owner'
       AND NOT app.has_workspace_role(invite_member.workspace_id, '{owner}') THEN
        RAISE EXCEPTION 'only owners can make someone owner' USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF invite_member.email IS NULL OR pg_catalog.btrim(invite_member.email) = '' THEN
        RAISE EXCEPTION 'email is required' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    address := pg_catalog.lower(pg_catalog.btrim(invite_member.email));  -- 23514 when malformed
    PERFORM auth.throttle('invite', address::text, 120);

    SELECT u.id INTO invitee FROM api.users u
    WHERE u.email OPERATOR(extensions.=) address::extensions.citext;
    IF NOT FOUND THEN
        PERFORM pg_catalog.set_config('taproot.inviting', 'on', true);
        INSERT INTO api.users (email, name, invited_by)
        VALUES (address, coalesce(nullif(pg_catalog.btrim(invite_member.name), ''),
                                  pg_catalog.split_part(address::text, '@', 1)), caller)
        ON CONFLICT ON CONSTRAINT users_email_key DO NOTHING
        RETURNING id INTO invitee;
        PERFORM pg_catalog.set_config('taproot.inviting', '', true);
        IF invitee IS NULL THEN  -- created concurrently
            SELECT u.id INTO STRICT invitee FROM api.users u
            WHERE u.email OPERATOR(extensions.=) address::extensions.citext;
        END IF;
    END IF;

    INSERT INTO api.memberships (workspace_id, user_id, role)
    VALUES (invite_member.workspace_id, invitee, coalesce(invite_member.role, 'member'))
    RETURNING * INTO membership;
    INSERT INTO app.invitations (workspace_id, user_id, email, role, invited_by)
    VALUES (membership.workspace_id, invitee, address, membership.role, caller)
    RETURNING id INTO invitation_id;
    PERFORM auth.send_invitation(invitation_id);
    RETURN membership;
END
$$;
COMMENT ON FUNCTION api.invite_member(uuid, text, text, text) IS
    'Add a person to a workspace by email (admins and owners; owners only for role owner), creating an '
    'invited profile when the email has no account, and mail them an invitation token (7 days). Returns the '
    'membership. Errors: 42501 not allowed; 23514 malformed email or unknown role; 23505 already a member; '
    'PT429 throttled.';

CREATE VIEW api.invitations WITH (security_invoker = true) AS
    SELECT i.id, i.workspace_id, w.name AS workspace_name, i.user_id, i.email::text AS email,
           u.name, i.role, i.invited_by, i.created_at, i.expires_at,
           CASE WHEN i.accepted_at IS NOT NULL THEN 'accepted'
                WHEN i.revoked_at IS NOT NULL THEN 'revoked'
                WHEN i.expires_at > pg_catalog.now() THEN 'pending'
                ELSE 'expired' END AS status,
           i.accepted_at, i.revoked_at
    FROM app.invitations i
    LEFT JOIN api.users u ON u.id = i.user_id
    LEFT JOIN api.workspaces w ON w.id = i.workspace_id;
COMMENT ON VIEW api.invitations IS
    'Invitations into the workspaces you administer (and the account invitations you made): status pending, '
    'expired, accepted or revoked; expires_at is that of the newest token';
GRANT SELECT ON api.invitations TO authenticated;

CREATE FUNCTION api.accept_invitation(token text, password text, name text DEFAULT NULL)
RETURNS json
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    tok         record;
    inv         app.invitations;
    credential  auth.credentials;
    claimed     boolean := false;
BEGIN
    PERFORM auth.throttle('accept_invitation', NULL);
    SELECT * INTO tok FROM auth.find_token('{invitation}', accept_invitation.token);
    IF tok.state <> 'ok' THEN
        RETURN auth.token_refused(tok.state, 'invitation', 'Ask a workspace admin to resend the invitation.');
    END IF;
    PERFORM auth.throttle('accept_invitation', tok.email);
    SELECT * INTO STRICT inv FROM app.invitations i WHERE i.id = tok.invitation_id FOR UPDATE;
    IF inv.accepted_at IS NOT NULL OR inv.revoked_at IS NOT NULL
       OR NOT EXISTS (SELECT 1 FROM api.users u WHERE u.id = tok.user_id
                      AND u.email OPERATOR(extensions.=) tok.email::extensions.citext) THEN
        RETURN auth.token_refused(CASE WHEN inv.accepted_at IS NOT NULL THEN 'used' ELSE 'revoked' END,
                                  'invitation', 'Ask a workspace admin to resend the invitation.');
    END IF;

    SELECT * INTO credential FROM auth.credentials c WHERE c.user_id = tok.user_id FOR UPDATE;
    IF FOUND THEN
        -- The address already has an account: accepting is logging in with its password.
        IF credential.status <> 'active' THEN
            RETURN app.http_error(403, 'PT403', 'this account is disabled', NULL,
                                  'Ask an administrator to enable it.');
        END IF;
        IF extensions.crypt(coalesce(accept_invitation.password, ''), credential.password_hash)
           IS DISTINCT FROM credential.password_hash THEN
            INSERT INTO auth.login_attempts (email, succeeded) VALUES (tok.email, false);
            RETURN app.http_error(401, 'PT401', 'the password is wrong',
                                  'This address already has an account: accept with its password.',
                                  'Use your current password, or reset it first.');
        END IF;
        UPDATE auth.credentials c SET email_verified_at = coalesce(c.email_verified_at, pg_catalog.now())
        WHERE c.user_id = tok.user_id;
    ELSE
        -- An invited profile is claimed: the mailed token proved the address.
        PERFORM auth.set_password(tok.user_id, accept_invitation.password);  -- 22023: the policy
        claimed := true;
    END IF;
    IF nullif(pg_catalog.btrim(accept_invitation.name), '') IS NOT NULL THEN
        UPDATE api.users u SET name = pg_catalog.btrim(accept_invitation.name) WHERE u.id = tok.user_id;
    END IF;
    IF inv.workspace_id IS NOT NULL THEN
        INSERT INTO api.memberships (workspace_id, user_id, role)
        VALUES (inv.workspace_id, inv.user_id, inv.role)
        ON CONFLICT (workspace_id, user_id) DO NOTHING;
    END IF;
    PERFORM auth.spend_token(tok.token_id);
    UPDATE app.invitations i SET accepted_at = pg_catalog.now() WHERE i.id = inv.id;
    PERFORM app.audit('auth.invitation_accepted', inv.workspace_id, 'users', tok.user_id,
                      pg_catalog.jsonb_build_object('invitation_id', inv.id, 'claimed_invitation', claimed),
                      tok.user_id);
    RETURN auth.start_session(tok.user_id);
END
$$;
COMMENT ON FUNCTION api.accept_invitation(text, text, text) IS
    'Spend an invitation token: set up the invited account with this password (or, when the address already '
    'has an account, check its password), join the workspace and log in: {access_token, token_type, expires_in, '
    'refresh_token}. A bad token: HTTP 400 {"code":"PT400"}; wrong password of an existing account: HTTP 401; '
    '22023 password policy; PT429 throttled.';

CREATE FUNCTION api.resend_invitation(id uuid)
RETURNS api.invitations
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    inv    app.invitations;
    answer api.invitations;
BEGIN
    SELECT * INTO inv FROM app.invitations i WHERE i.id = resend_invitation.id FOR UPDATE;
    IF NOT FOUND OR NOT auth.is_invitation_admin(inv.workspace_id, inv.invited_by) THEN
        RAISE SQLSTATE 'PT404' USING MESSAGE = 'no invitation with this id',
            HINT = 'List the invitations you manage with GET /api/invitations.';
    END IF;
    IF inv.accepted_at IS NOT NULL THEN
        RAISE SQLSTATE 'PT409' USING MESSAGE = 'this invitation has already been accepted',
            HINT = 'The person is in; nothing to resend.';
    END IF;
    IF inv.revoked_at IS NOT NULL THEN
        RAISE SQLSTATE 'PT409' USING MESSAGE = 'this invitation was revoked',
            HINT = 'Invite the person again with /rpc/invite_member.';
    END IF;
    PERFORM auth.throttle('invite', inv.email::text, 120);
    PERFORM auth.send_invitation(inv.id);
    PERFORM app.audit('invitations.resent', inv.workspace_id, 'invitations', inv.id,
                      pg_catalog.jsonb_build_object('email', inv.email::text));
    SELECT * INTO STRICT answer FROM api.invitations v WHERE v.id = inv.id;
    RETURN answer;
END
$$;
COMMENT ON FUNCTION api.resend_invitation(uuid) IS
    'Mail an open invitation again with a new token (the old one stops working); returns the invitation. '
    'Errors: PT404 unknown or not yours to manage, PT409 accepted or revoked, PT429 throttled.';

CREATE FUNCTION api.revoke_invitation(id uuid)
RETURNS api.invitations
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    inv    app.invitations;
    answer api.invitations;
BEGIN
    SELECT * INTO inv FROM app.invitations i WHERE i.id = revoke_invitation.id FOR UPDATE;
    IF NOT FOUND OR NOT auth.is_invitation_admin(inv.workspace_id, inv.invited_by) THEN
        RAISE SQLSTATE 'PT404' USING MESSAGE = 'no invitation with this id',
            HINT = 'List the invitations you manage with GET /api/invitations.';
    END IF;
    IF inv.accepted_at IS NOT NULL THEN
        RAISE SQLSTATE 'PT409' USING MESSAGE = 'this invitation has already been accepted',
            HINT = 'Remove the membership instead (DELETE /api/memberships).';
    END IF;
    IF inv.revoked_at IS NULL THEN
        UPDATE app.invitations i SET revoked_at = pg_catalog.now(), revoked_by = app.current_user_id()
        WHERE i.id = inv.id;
        UPDATE auth.one_time_tokens t SET revoked_at = pg_catalog.now()
        WHERE t.invitation_id = inv.id AND t.used_at IS NULL AND t.revoked_at IS NULL;
        -- The membership made for a person who never set up the account goes too.
        IF inv.workspace_id IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM auth.credentials c WHERE c.user_id = inv.user_id) THEN
            DELETE FROM api.memberships m WHERE m.workspace_id = inv.workspace_id AND m.user_id = inv.user_id;
        END IF;
        PERFORM app.audit('invitations.revoked', inv.workspace_id, 'invitations', inv.id,
                          pg_catalog.jsonb_build_object('email', inv.email::text));
    END IF;
    SELECT * INTO STRICT answer FROM api.invitations v WHERE v.id = inv.id;
    RETURN answer;
END
$$;
COMMENT ON FUNCTION api.revoke_invitation(uuid) IS
    'Revoke an open invitation: its token stops working and an invitee who never set up the account leaves '
    'the workspace; returns the invitation (revoking twice is harmless). Errors: PT404 unknown or not yours, '
    'PT409 already accepted.';

REVOKE EXECUTE ON FUNCTION auth.send_invitation(uuid), auth.is_invitation_admin(uuid, uuid),
    app.invite_created_user(), app.revoke_invitations_of_membership(),
    api.accept_invitation(text, text, text), api.resend_invitation(uuid), api.revoke_invitation(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.accept_invitation(text, text, text) TO anon, authenticated;
GRANT EXECUTE ON FUNCTION api.resend_invitation(uuid), api.revoke_invitation(uuid) TO authenticated;

COMMIT;

-- Revert taproot:api_invitations from pg
-- Back to api.invite_member of api_invite_member.
BEGIN;

DROP FUNCTION api.revoke_invitation(uuid);
DROP FUNCTION api.resend_invitation(uuid);
DROP FUNCTION api.accept_invitation(text, text, text);
DROP VIEW api.invitations;
DROP TRIGGER memberships_revoke_invitations ON api.memberships;
DROP FUNCTION app.revoke_invitations_of_membership();
DROP TRIGGER users_invite ON api.users;
DROP FUNCTION app.invite_created_user();
DROP FUNCTION auth.is_invitation_admin(uuid, uuid);
DROP FUNCTION auth.send_invitation(uuid);

CREATE OR REPLACE FUNCTION api.invite_member(workspace_id uuid, email text, role text DEFAULT 'member',
                                  name text DEFAULT NULL)
RETURNS api.memberships
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    caller     uuid := app.current_user_id();
    invitee    uuid;
    address    app.email_address;
    membership api.memberships;
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

    SELECT u.id INTO invitee FROM api.users u
    WHERE u.email OPERATOR(extensions.=) address::extensions.citext;
    IF NOT FOUND THEN
        INSERT INTO api.users (email, name, invited_by)
        VALUES (address, coalesce(nullif(pg_catalog.btrim(invite_member.name), ''),
                                  pg_catalog.split_part(address::text, '@', 1)), caller)
        ON CONFLICT ON CONSTRAINT users_email_key DO NOTHING
        RETURNING id INTO invitee;
        IF invitee IS NULL THEN  -- created concurrently
            SELECT u.id INTO STRICT invitee FROM api.users u
            WHERE u.email OPERATOR(extensions.=) address::extensions.citext;
        END IF;
    END IF;

    INSERT INTO api.memberships (workspace_id, user_id, role)
    VALUES (invite_member.workspace_id, invitee, coalesce(invite_member.role, 'member'))
    RETURNING * INTO membership;
    RETURN membership;
END
$$;
COMMENT ON FUNCTION api.invite_member(uuid, text, text, text) IS
    'Add a person to a workspace by email (admins and owners; owners only for role owner), creating an '
    'invited profile when the email has no account. Returns the membership. Errors: 42501 not allowed; '
    '23514 malformed email or unknown role; 23505 already a member.';

COMMIT;

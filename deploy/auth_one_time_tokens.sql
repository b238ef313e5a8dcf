-- Deploy taproot:auth_one_time_tokens to pg
-- requires: auth_credentials, auth_jwt, api_workspaces, api_users, ratelimit_check, app_request_context, app_permissions
-- One-time tokens for the account flows (invitation, email verification, password reset,
-- email change), the invitations they belong to, whether an address is verified, and the
-- helpers every token route shares: issue, look up, throttle, read the verification setting.
-- A token is 32 random bytes (base64url) mailed once; only its SHA-256 digest is stored and
-- a presented token is found by the digest of what was presented (an index lookup), so
-- neither the table nor the timing of a comparison says anything about a live token.
BEGIN;

-- Accounts created by the owner (seed data, the back office, make_tenant) are trusted as
-- verified; a self sign-up sets NULL until api.verify_email. Existing rows get now().
ALTER TABLE auth.credentials ADD COLUMN email_verified_at timestamptz DEFAULT now();
COMMENT ON COLUMN auth.credentials.email_verified_at IS
    'When the address was proven (verification, invitation or reset token); NULL for an unverified sign-up';

CREATE TABLE app.invitations (
    id           uuid PRIMARY KEY DEFAULT extensions.gen_random_uuid(),
    workspace_id uuid REFERENCES api.workspaces (id) ON DELETE CASCADE,
    user_id      uuid NOT NULL REFERENCES api.users (id) ON DELETE CASCADE,
    email        extensions.citext NOT NULL,
    role         text
        CONSTRAINT invitations_role_known CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
    invited_by   uuid REFERENCES api.users (id) ON DELETE SET NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz,
    accepted_at  timestamptz,
    revoked_at   timestamptz,
    revoked_by   uuid REFERENCES api.users (id) ON DELETE SET NULL,
    CONSTRAINT invitations_role_with_workspace CHECK ((workspace_id IS NULL) = (role IS NULL)),
    CONSTRAINT invitations_accepted_or_revoked CHECK (accepted_at IS NULL OR revoked_at IS NULL)
);
COMMENT ON TABLE app.invitations IS
    'Invitations (into a workspace with a role, or only to an account when made by POST /api/users); '
    'their tokens are in auth.one_time_tokens, expires_at is the newest token''s';
CREATE INDEX invitations_workspace_id_idx ON app.invitations (workspace_id, created_at);
CREATE INDEX invitations_user_id_idx ON app.invitations (user_id);
CREATE INDEX invitations_invited_by_idx ON app.invitations (invited_by);
CREATE INDEX invitations_revoked_by_idx ON app.invitations (revoked_by);
ALTER TABLE app.invitations ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.invitations FORCE ROW LEVEL SECURITY;
REVOKE ALL ON app.invitations FROM PUBLIC;
-- Read through the invoker view api.invitations; every change goes through definer functions.
GRANT SELECT ON app.invitations TO authenticated;
CREATE POLICY "workspace admins see the invitations into their workspaces" ON app.invitations
    FOR SELECT TO authenticated
    USING (workspace_id = ANY ((SELECT app.my_workspace_ids('{owner,admin}'))::uuid[])
           OR (workspace_id IS NULL AND invited_by = (SELECT app.current_user_id())));

CREATE TABLE auth.one_time_tokens (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind          text NOT NULL
        CONSTRAINT one_time_tokens_kind_known
            CHECK (kind IN ('invitation', 'email_verification', 'password_reset', 'email_change')),
    user_id       uuid NOT NULL REFERENCES api.users (id) ON DELETE CASCADE,
    email         extensions.citext NOT NULL,
    invitation_id uuid REFERENCES app.invitations (id) ON DELETE CASCADE,
    digest        bytea NOT NULL CONSTRAINT one_time_tokens_digest_key UNIQUE
        CONSTRAINT one_time_tokens_digest_sha256 CHECK (octet_length(digest) = 32),
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,
    used_at       timestamptz,
    revoked_at    timestamptz,
    CONSTRAINT one_time_tokens_invitation_kind CHECK ((kind = 'invitation') = (invitation_id IS NOT NULL)),
    CONSTRAINT one_time_tokens_used_or_revoked CHECK (used_at IS NULL OR revoked_at IS NULL)
);
COMMENT ON TABLE auth.one_time_tokens IS
    'Single-use, expiring tokens (SHA-256 digests only) for invitations, email verification, password reset '
    'and email change; email is the address the token was mailed to (the new one for an email change)';
CREATE INDEX one_time_tokens_user_id_kind_idx ON auth.one_time_tokens (user_id, kind)
    WHERE used_at IS NULL AND revoked_at IS NULL;
CREATE INDEX one_time_tokens_invitation_id_idx ON auth.one_time_tokens (invitation_id);

ALTER TABLE auth.one_time_tokens ENABLE ROW LEVEL SECURITY;
ALTER TABLE auth.one_time_tokens FORCE ROW LEVEL SECURITY;
REVOKE ALL ON auth.one_time_tokens FROM PUBLIC;

-- How long each kind of token lives.
CREATE FUNCTION auth.token_lifetime(p_kind text)
RETURNS interval
LANGUAGE sql
IMMUTABLE
SET search_path = ''
AS $$
    SELECT CASE p_kind
        WHEN 'invitation' THEN interval '7 days'
        WHEN 'email_verification' THEN interval '24 hours'
        WHEN 'email_change' THEN interval '24 hours'
        WHEN 'password_reset' THEN interval '1 hour'
    END
$$;
COMMENT ON FUNCTION auth.token_lifetime(text) IS
    'Lifetime of a one-time token: invitation 7 days, email verification and change 24 hours, reset 1 hour';

-- Issue a token: earlier live tokens of the same kind for the same user (and invitation)
-- die, so only the newest mail works. Returns the raw token, which is never stored.
CREATE FUNCTION auth.issue_token(p_kind text, p_user_id uuid, p_email text,
                                 p_invitation_id uuid DEFAULT NULL,
                                 OUT token text, OUT expires_at timestamptz)
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = ''
AS $$
BEGIN
    UPDATE auth.one_time_tokens t SET revoked_at = pg_catalog.now()
    WHERE t.user_id = p_user_id AND t.kind = p_kind AND t.used_at IS NULL AND t.revoked_at IS NULL
      AND t.invitation_id IS NOT DISTINCT FROM p_invitation_id;
    token := auth.base64url(extensions.gen_random_bytes(32));
    expires_at := pg_catalog.now() + auth.token_lifetime(p_kind);
    INSERT INTO auth.one_time_tokens (kind, user_id, email, invitation_id, digest, expires_at)
    VALUES (p_kind, p_user_id, p_email, p_invitation_id, extensions.digest(token, 'sha256'),
            issue_token.expires_at);
END
$$;
COMMENT ON FUNCTION auth.issue_token(text, uuid, text, uuid) IS
    'A new one-time token of a kind for a user (and invitation): the raw token and its expiry; '
    'earlier live tokens of that kind die';

-- Look a presented token up by its digest and lock it. state says why it cannot be used:
-- unknown, used, revoked, expired, or ok.
CREATE FUNCTION auth.find_token(p_kinds text[], p_token text,
                                OUT token_id bigint, OUT kind text, OUT user_id uuid, OUT email text,
                                OUT invitation_id uuid, OUT state text)
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    found_token auth.one_time_tokens;
BEGIN
    SELECT * INTO found_token FROM auth.one_time_tokens t
    WHERE t.digest = extensions.digest(coalesce(p_token, ''), 'sha256') AND t.kind = ANY (p_kinds)
    FOR UPDATE;
    IF NOT FOUND THEN
        state := 'unknown';
        RETURN;
    END IF;
    token_id := found_token.id;
    kind := found_token.kind;
    user_id := found_token.user_id;
    email := found_token.email::text;
    invitation_id := found_token.invitation_id;
    state := CASE
        WHEN found_token.used_at IS NOT NULL THEN 'used'
        WHEN found_token.revoked_at IS NOT NULL THEN 'revoked'
        WHEN found_token.expires_at <= pg_catalog.now() THEN 'expired'
        ELSE 'ok'
    END;
END
$$;
COMMENT ON FUNCTION auth.find_token(text[], text) IS
    'The token of one of these kinds whose digest matches, locked, and its state: unknown, used, revoked, expired, ok';

CREATE FUNCTION auth.spend_token(p_token_id bigint)
RETURNS void
LANGUAGE sql
VOLATILE
SECURITY DEFINER
SET search_path = ''
AS $$
    UPDATE auth.one_time_tokens t SET used_at = pg_catalog.now() WHERE t.id = p_token_id
$$;
COMMENT ON FUNCTION auth.spend_token(bigint) IS 'Mark a token used (it is single use)';

-- taproot.require_verified_email: on (the default, also when unset or unreadable) or off.
CREATE FUNCTION auth.require_verified_email()
RETURNS boolean
LANGUAGE sql
STABLE
SET search_path = ''
AS $$
    SELECT coalesce(pg_catalog.lower(pg_catalog.btrim(
               pg_catalog.current_setting('taproot.require_verified_email', true)))
           NOT IN ('off', 'false', 'no', '0'), true)
$$;
COMMENT ON FUNCTION auth.require_verified_email() IS
    'GUC taproot.require_verified_email: false only when set to off/false/no/0 (unset means on)';

-- The client's address as the nearest proxy saw it: the last X-Forwarded-For entry
-- (request.headers, as PostgREST sets it). NULL without a proxy: the gateway's own front
-- door limits by the socket's peer, and a shared "unknown" bucket would let one client
-- lock everyone out.
CREATE FUNCTION auth.client_ip()
RETURNS text
LANGUAGE sql
STABLE
SET search_path = ''
AS $$
    SELECT nullif(pg_catalog.btrim(pg_catalog.regexp_replace(
               nullif(pg_catalog.current_setting('request.headers', true), '')::json ->> 'x-forwarded-for',
               '^.*,', '')), '')
$$;
COMMENT ON FUNCTION auth.client_ip() IS
    'The last X-Forwarded-For address of the request (request.headers), or NULL';

-- Every token route, per email and per client IP, on the shared limiter. Raises PT429
-- (HTTP 429); an admitted call takes its share only if the transaction commits, which is
-- why the routes answer bad tokens with a body instead of raising.
CREATE FUNCTION auth.throttle(p_route text, p_email text, p_per_ip double precision DEFAULT 30)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    per_email constant double precision := 5;    -- per 15 minutes, per route
    per_ip    constant double precision := coalesce(p_per_ip, 30);  -- per 15 minutes, per route
    window_s  constant double precision := 900;
    ip        text := auth.client_ip();
    verdict   record;
BEGIN
    IF p_email IS NOT NULL AND pg_catalog.btrim(p_email) <> '' THEN
        SELECT * INTO verdict FROM ratelimit.check(
            'auth-token:' || p_route || ':email:'
                || pg_catalog.encode(extensions.digest(pg_catalog.lower(pg_catalog.btrim(p_email)), 'sha256'), 'hex'),
            per_email / window_s, per_email, 1);
        IF NOT verdict.allowed THEN
            RAISE SQLSTATE 'PT429'
                USING MESSAGE = pg_catalog.format('too many %s requests for this email address',
                                                  pg_catalog.replace(p_route, '_', ' ')),
                      DETAIL = pg_catalog.format('At most %s in 15 minutes per email address.', per_email),
                      HINT = pg_catalog.format('Try again in %s seconds.', pg_catalog.ceil(verdict.retry_after));
        END IF;
    END IF;
    IF ip IS NOT NULL THEN
        SELECT * INTO verdict FROM ratelimit.check(
            'auth-token:' || p_route || ':ip:' || pg_catalog.left(ip, 100),
            per_ip / window_s, per_ip, 1);
        IF NOT verdict.allowed THEN
            RAISE SQLSTATE 'PT429'
                USING MESSAGE = pg_catalog.format('too many %s requests from this address',
                                                  pg_catalog.replace(p_route, '_', ' ')),
                      DETAIL = pg_catalog.format('At most %s in 15 minutes per client address.', per_ip),
                      HINT = pg_catalog.format('Try again in %s seconds.', pg_catalog.ceil(verdict.retry_after));
        END IF;
    END IF;
END
$$;
COMMENT ON FUNCTION auth.throttle(text, text, double precision) IS
    'Rate-limit a token route per email (5 per 15 minutes) and per client IP (p_per_ip, 30 by default, per 15 minutes) with '
    'ratelimit.check; raises PT429';

-- An answer for a token that cannot be used, committed (the throttle's take is kept).
CREATE FUNCTION auth.token_refused(p_state text, p_what text, p_hint text)
RETURNS json
LANGUAGE sql
VOLATILE
SET search_path = ''
AS $$
    SELECT app.http_error(400, 'PT400',
        CASE p_state
            WHEN 'used' THEN pg_catalog.format('this %s link has already been used', p_what)
            WHEN 'revoked' THEN pg_catalog.format('this %s link is no longer valid: a newer one was sent or it was revoked', p_what)
            WHEN 'expired' THEN pg_catalog.format('this %s link has expired', p_what)
            ELSE pg_catalog.format('this %s link is not valid', p_what)
        END,
        CASE p_state WHEN 'unknown' THEN 'No live token matches what was sent; check that the whole link was copied.' END,
        p_hint)
$$;
COMMENT ON FUNCTION auth.token_refused(text, text, text) IS
    'HTTP 400 {"code":"PT400"} saying why a one-time token was refused (set as response.status, so it commits)';

REVOKE EXECUTE ON FUNCTION auth.token_lifetime(text), auth.issue_token(text, uuid, text, uuid),
    auth.find_token(text[], text), auth.spend_token(bigint), auth.require_verified_email(),
    auth.client_ip(), auth.throttle(text, text, double precision), auth.token_refused(text, text, text) FROM PUBLIC;

COMMIT;

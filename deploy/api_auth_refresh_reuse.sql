-- Deploy taproot:api_auth_refresh_reuse to pg
-- requires: api_auth
-- A spent refresh token presented again must revoke its session (the sign of a stolen token).
-- api.refresh checked expiry first, so a spent token presented after its 30 days answered
-- "invalid or expired" and left the session, by then possibly in a thief's hands, alive.
BEGIN;

CREATE OR REPLACE FUNCTION api.refresh(refresh_token text)
RETURNS json
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    token record;
BEGIN
    SELECT t.token_hash, t.session_id, t.expires_at, t.used_at, s.user_id, s.revoked_at
    INTO token
    FROM auth.refresh_tokens t
    JOIN auth.sessions s ON s.id = t.session_id
    JOIN auth.credentials c ON c.user_id = s.user_id AND c.status = 'active'
    WHERE t.token_hash = extensions.digest(coalesce(refresh.refresh_token, ''), 'sha256')
    FOR UPDATE OF t, s;

    -- A spent token is reuse whether or not it has expired since: check expiry only for unused ones.
    IF NOT FOUND OR token.revoked_at IS NOT NULL
       OR (token.used_at IS NULL AND token.expires_at <= pg_catalog.now()) THEN
        RAISE SQLSTATE 'PT401'
            USING MESSAGE = 'invalid or expired refresh token', HINT = 'Log in again.';
    END IF;
    IF token.used_at IS NOT NULL THEN
        -- A spent token presented again: someone else may hold the session. End it.
        UPDATE auth.sessions s SET revoked_at = pg_catalog.now(), revoked_reason = 'refresh token reused'
        WHERE s.id = token.session_id;
        PERFORM app.audit('auth.refresh_token_reused', NULL, 'sessions', token.session_id, '{}',
                          token.user_id);
        RETURN app.http_error(401, 'PT401', 'refresh token already used; the session has been revoked',
                              NULL, 'Log in again.');
    END IF;

    UPDATE auth.refresh_tokens t SET used_at = pg_catalog.now() WHERE t.token_hash = token.token_hash;
    UPDATE auth.sessions s SET refreshed_at = pg_catalog.now() WHERE s.id = token.session_id;
    PERFORM app.audit('auth.refresh', NULL, 'sessions', token.session_id, '{}', token.user_id);
    RETURN auth.issue_tokens(token.user_id, token.session_id);
END
$$;
COMMENT ON FUNCTION api.refresh(text) IS
    'Trade a refresh token (single use) for a new token pair. Invalid/expired: PT401 (HTTP 401); '
    'a spent token used again revokes the session and answers HTTP 401.';

COMMIT;

-- Deploy taproot:auth_tokens to pg
-- requires: auth_jwt, auth_credentials
-- Sessions and the token pair a login returns: a one-hour access JWT and an opaque,
-- single-use refresh token (only its SHA-256 digest is stored).
BEGIN;

CREATE FUNCTION auth.issue_tokens(p_user_id uuid, p_session_id uuid)
RETURNS json
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    issued_at     bigint := floor(extract(epoch FROM pg_catalog.now()))::bigint;
    user_email    text;
    refresh_token text := auth.base64url(extensions.gen_random_bytes(32));
BEGIN
    SELECT u.email::text INTO STRICT user_email FROM api.users u WHERE u.id = p_user_id;
    INSERT INTO auth.refresh_tokens (token_hash, session_id)
    VALUES (extensions.digest(refresh_token, 'sha256'), p_session_id);
    RETURN pg_catalog.json_build_object(
        'access_token', auth.sign_jwt(pg_catalog.jsonb_build_object(
            'sub', p_user_id, 'role', 'authenticated', 'email', user_email,
            'session_id', p_session_id, 'iat', issued_at, 'exp', issued_at + 3600,
            'aud', 'taproot')),
        'token_type', 'bearer',
        'expires_in', 3600,
        'refresh_token', refresh_token);
END
$$;
COMMENT ON FUNCTION auth.issue_tokens(uuid, uuid) IS
    '{access_token, token_type, expires_in, refresh_token} for a session';

CREATE FUNCTION auth.start_session(p_user_id uuid)
RETURNS json
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    session_id uuid;
BEGIN
    INSERT INTO auth.sessions (user_id) VALUES (p_user_id) RETURNING id INTO session_id;
    RETURN auth.issue_tokens(p_user_id, session_id);
END
$$;
COMMENT ON FUNCTION auth.start_session(uuid) IS 'Open a session and issue its first token pair';

REVOKE EXECUTE ON FUNCTION auth.issue_tokens(uuid, uuid), auth.start_session(uuid) FROM PUBLIC;

COMMIT;

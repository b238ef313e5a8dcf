-- Deploy taproot:api_auth to pg
-- requires: auth_passwords, auth_tokens, app_audit_log, app_request_context, api_users
-- The auth RPCs: signup, login, refresh (anon may call these three) and logout.
-- Wrong email and wrong password give the same answer. A failed login must be remembered
-- for throttling even though it fails, so login and refresh answer failures that change
-- state with response.status + an error body (PostgREST's documented mechanism) instead
-- of raising, which would roll the record back.
BEGIN;

CREATE FUNCTION api.signup(email text, password text, name text DEFAULT NULL)
RETURNS json
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    new_email       app.email_address;
    new_name        text;
    account_id         uuid;
    has_credentials boolean;
    claimed         boolean := false;
BEGIN
    IF signup.email IS NULL OR pg_catalog.btrim(signup.email) = '' THEN
        RAISE EXCEPTION 'email is required' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    new_email := pg_catalog.btrim(signup.email);  -- raises 23514 when malformed
    new_name := coalesce(nullif(pg_catalog.btrim(signup.name), ''),
                         pg_catalog.split_part(new_email::text, '@', 1));
    PERFORM auth.check_password_policy(signup.password, new_email::text);

    SELECT u.id, c.user_id IS NOT NULL INTO account_id, has_credentials
    FROM api.users u LEFT JOIN auth.credentials c ON c.user_id = u.id
    WHERE u.email OPERATOR(extensions.=) new_email::extensions.citext
    FOR UPDATE OF u;

    IF has_credentials THEN
        RAISE EXCEPTION 'an account with this email already exists'
            USING ERRCODE = 'unique_violation', HINT = 'Log in instead.';
    ELSIF account_id IS NOT NULL THEN
        -- An invited user claims the account.
        claimed := true;
        UPDATE api.users u SET name = coalesce(nullif(pg_catalog.btrim(signup.name), ''), u.name)
        WHERE u.id = account_id;
    ELSE
        INSERT INTO api.users (email, name, invited_by) VALUES (new_email, new_name, NULL)
        RETURNING id INTO account_id;
    END IF;
    PERFORM auth.set_password(account_id, signup.password);
    PERFORM app.audit('auth.signup', NULL, 'users', account_id,
                      pg_catalog.jsonb_build_object('claimed_invitation', claimed),
                      account_id);
    RETURN auth.start_session(account_id);
END
$$;
COMMENT ON FUNCTION api.signup(text, text, text) IS
    'Create an account (or claim an invitation) and log in: {access_token, token_type, expires_in, refresh_token}. '
    'Errors: 23514 malformed email, 22023 password policy, 23505 account exists.';

CREATE FUNCTION api.login(email text, password text)
RETURNS json
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    attempt_email extensions.citext := coalesce(pg_catalog.btrim(login.email), '');
    recent_failures bigint;
    account_id uuid;
    stored_hash text;
BEGIN
    SELECT pg_catalog.count(*) INTO recent_failures
    FROM auth.login_attempts a
    WHERE a.email OPERATOR(extensions.=) attempt_email AND NOT a.succeeded
      AND a.attempted_at > pg_catalog.now() - interval '15 minutes'
      AND a.id > coalesce((SELECT pg_catalog.max(s.id) FROM auth.login_attempts s
                           WHERE s.email OPERATOR(extensions.=) attempt_email AND s.succeeded), 0);
    IF recent_failures >= 10 THEN
        RAISE SQLSTATE 'PT429'
            USING MESSAGE = 'too many failed login attempts for this email',
                  DETAIL = '10 failed attempts within 15 minutes',
                  HINT = 'Wait 15 minutes and try again.';
    END IF;

    SELECT u.id, c.password_hash INTO account_id, stored_hash
    FROM api.users u JOIN auth.credentials c ON c.user_id = u.id AND c.status = 'active'
    WHERE u.email OPERATOR(extensions.=) attempt_email;

    IF stored_hash IS NULL
       OR extensions.crypt(coalesce(login.password, ''), stored_hash) IS DISTINCT FROM stored_hash THEN
        IF stored_hash IS NULL THEN
            -- Spend the same bcrypt time for unknown emails: no enumeration by timing.
            PERFORM extensions.crypt(coalesce(login.password, ''), extensions.gen_salt('bf', 10));
        END IF;
        INSERT INTO auth.login_attempts (email, succeeded) VALUES (attempt_email, false);
        PERFORM app.audit('auth.login_failed', NULL, 'users', account_id,
                          pg_catalog.jsonb_build_object('email', attempt_email::text), account_id);
        RETURN app.http_error(401, 'PT401', 'invalid email or password', NULL,
                              'Check the email and password, or sign up.');
    END IF;

    INSERT INTO auth.login_attempts (email, succeeded) VALUES (attempt_email, true);
    DELETE FROM auth.login_attempts a
    WHERE a.email OPERATOR(extensions.=) attempt_email
      AND a.attempted_at < pg_catalog.now() - interval '1 day';
    PERFORM app.audit('auth.login', NULL, 'users', account_id, '{}', account_id);
    RETURN auth.start_session(account_id);
END
$$;
COMMENT ON FUNCTION api.login(text, text) IS
    'Log in: {access_token, token_type, expires_in, refresh_token}. Bad credentials: HTTP 401 '
    '{"code":"PT401","message":"invalid email or password"} (same for unknown email and wrong password); '
    'throttled: SQLSTATE PT429 (HTTP 429) after 10 failures in 15 minutes.';

CREATE FUNCTION api.refresh(refresh_token text)
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

    IF NOT FOUND OR token.revoked_at IS NOT NULL OR token.expires_at <= pg_catalog.now() THEN
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

CREATE FUNCTION api.logout()
RETURNS void
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = ''
AS $$
BEGIN
    UPDATE auth.sessions s SET revoked_at = pg_catalog.now(), revoked_reason = 'logout'
    WHERE s.id = app.current_session_id() AND s.user_id = app.current_user_id()
      AND s.revoked_at IS NULL;
    PERFORM app.audit('auth.logout', NULL, 'sessions', app.current_session_id());
END
$$;
COMMENT ON FUNCTION api.logout() IS
    'End the caller''s session: its refresh tokens stop working (the access token expires within the hour)';

GRANT EXECUTE ON FUNCTION api.signup(text, text, text), api.login(text, text), api.refresh(text)
    TO anon, authenticated;
GRANT EXECUTE ON FUNCTION api.logout() TO authenticated;

COMMIT;

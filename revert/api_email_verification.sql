-- Revert taproot:api_email_verification from pg
-- Back to api.signup and api.login of api_auth.
BEGIN;

DROP FUNCTION api.change_email(text);
DROP FUNCTION api.verify_email(text);

CREATE OR REPLACE FUNCTION api.signup(email text, password text, name text DEFAULT NULL)
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

CREATE OR REPLACE FUNCTION api.login(email text, password text)
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

COMMIT;

-- Deploy taproot:api_email_verification to pg
-- requires: auth_one_time_tokens, api_auth, app_mail, app_audit_log
-- Sign-ups prove their address. api.signup no longer claims an invited profile (anyone could
-- take over an invited account by signing up with its email: the invitation's token is the
-- only way in now, see api_invitations), leaves the new account unverified and mails a
-- verification token; api.verify_email spends it. Whether an unverified account may sign in
-- is the setting taproot.require_verified_email (on unless set off; `taproot up` sets it off
-- on the embedded development cluster): when on, signup answers without a session and login
-- refuses with 403 until the address is verified. api.change_email mails a token to the new
-- address; the email changes only when that token is verified.
BEGIN;

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
    account_id      uuid;
    has_credentials boolean;
    mail_token      record;
BEGIN
    IF signup.email IS NULL OR pg_catalog.btrim(signup.email) = '' THEN
        RAISE EXCEPTION 'email is required' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    new_email := pg_catalog.lower(pg_catalog.btrim(signup.email));  -- raises 23514 when malformed
    new_name := coalesce(nullif(pg_catalog.btrim(signup.name), ''),
                         pg_catalog.split_part(new_email::text, '@', 1));
    PERFORM auth.check_password_policy(signup.password, new_email::text);
    PERFORM auth.throttle('signup', new_email::text);

    SELECT u.id, c.user_id IS NOT NULL INTO account_id, has_credentials
    FROM api.users u LEFT JOIN auth.credentials c ON c.user_id = u.id
    WHERE u.email OPERATOR(extensions.=) new_email::extensions.citext
    FOR UPDATE OF u;

    IF has_credentials THEN
        RAISE EXCEPTION 'an account with this email already exists'
            USING ERRCODE = 'unique_violation', HINT = 'Log in instead.';
    ELSIF account_id IS NOT NULL THEN
        -- An invited profile: only its invitation's token proves the address and claims it.
        RAISE EXCEPTION 'this email has a pending invitation'
            USING ERRCODE = 'unique_violation',
                  DETAIL = 'An invited account is set up by accepting its invitation, not by signing up.',
                  HINT = 'Open the link in the invitation mail, or ask a workspace admin to resend it.';
    END IF;

    INSERT INTO api.users (email, name, invited_by) VALUES (new_email, new_name, NULL)
    RETURNING id INTO account_id;
    PERFORM auth.set_password(account_id, signup.password);
    UPDATE auth.credentials c SET email_verified_at = NULL WHERE c.user_id = account_id;
    SELECT * INTO mail_token FROM auth.issue_token('email_verification', account_id, new_email::text);
    PERFORM app.queue_mail('verify_email', new_email::text, pg_catalog.jsonb_build_object(
        'token', mail_token.token, 'expires_at', mail_token.expires_at, 'name', new_name));
    PERFORM app.audit('auth.signup', NULL, 'users', account_id,
                      pg_catalog.jsonb_build_object('claimed_invitation', false), account_id);
    IF auth.require_verified_email() THEN
        RETURN pg_catalog.json_build_object(
            'user_id', account_id, 'email', new_email::text, 'email_verified', false,
            'message', 'Check your inbox: open the link in the verification mail, then log in.');
    END IF;
    RETURN auth.start_session(account_id);
END
$$;
COMMENT ON FUNCTION api.signup(text, text, text) IS
    'Create an unverified account and mail a verification token. With taproot.require_verified_email off: '
    'the session {access_token, token_type, expires_in, refresh_token}; on (the default): '
    '{user_id, email, email_verified: false, message}. Never claims an invited profile. Errors: 23514 malformed '
    'email, 22023 password policy, 23505 account exists or pending invitation, PT429 throttled.';

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
    verified_at timestamptz;
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

    SELECT u.id, c.password_hash, c.email_verified_at INTO account_id, stored_hash, verified_at
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

    -- Only after the right password: the refusal says nothing to someone without it.
    IF verified_at IS NULL AND auth.require_verified_email() THEN
        RAISE SQLSTATE 'PT403'
            USING MESSAGE = 'the email address has not been verified yet',
                  DETAIL = 'This server signs in only accounts whose email address is verified.',
                  HINT = 'Open the link in the verification mail. Lost it? Request a password reset: '
                         'resetting the password also verifies the address.';
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
    'throttled: SQLSTATE PT429 (HTTP 429) after 10 failures in 15 minutes; unverified address while '
    'taproot.require_verified_email is on: SQLSTATE PT403 (HTTP 403).';

CREATE FUNCTION api.verify_email(token text)
RETURNS json
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    tok   record;
    current_email text;
BEGIN
    PERFORM auth.throttle('verify_email', NULL);
    SELECT * INTO tok FROM auth.find_token('{email_verification,email_change}', verify_email.token);
    IF tok.state <> 'ok' THEN
        RETURN auth.token_refused(tok.state, 'verification',
                                  'Log in and ask for a new link, or request a password reset.');
    END IF;
    PERFORM auth.throttle('verify_email', tok.email);
    SELECT u.email::text INTO current_email FROM api.users u WHERE u.id = tok.user_id FOR UPDATE;

    IF tok.kind = 'email_verification' THEN
        IF current_email IS DISTINCT FROM tok.email THEN
            -- The account's address changed since the mail was sent.
            RETURN auth.token_refused('revoked', 'verification', 'Verify the current address instead.');
        END IF;
        UPDATE auth.credentials c SET email_verified_at = coalesce(c.email_verified_at, pg_catalog.now())
        WHERE c.user_id = tok.user_id;
        PERFORM auth.spend_token(tok.token_id);
        PERFORM app.audit('auth.email_verified', NULL, 'users', tok.user_id,
                          pg_catalog.jsonb_build_object('email', tok.email), tok.user_id);
        RETURN pg_catalog.json_build_object('user_id', tok.user_id, 'email', tok.email,
                                            'email_verified', true, 'email_changed', false);
    END IF;

    -- An email change: the new address is proven now; it must still be free.
    IF EXISTS (SELECT 1 FROM api.users u WHERE u.email OPERATOR(extensions.=) tok.email::extensions.citext
               AND u.id <> tok.user_id) THEN
        PERFORM auth.spend_token(tok.token_id);
        RETURN app.http_error(409, '23505', 'this email address now belongs to another account',
                              NULL, 'Choose another address.');
    END IF;
    UPDATE api.users u SET email = tok.email WHERE u.id = tok.user_id;
    UPDATE auth.credentials c SET email_verified_at = pg_catalog.now() WHERE c.user_id = tok.user_id;
    PERFORM auth.spend_token(tok.token_id);
    -- Tokens mailed to the old address (verification, reset) must not act on the new one.
    UPDATE auth.one_time_tokens t SET revoked_at = pg_catalog.now()
    WHERE t.user_id = tok.user_id AND t.kind IN ('email_verification', 'password_reset', 'email_change')
      AND t.used_at IS NULL AND t.revoked_at IS NULL;
    PERFORM app.audit('auth.email_changed', NULL, 'users', tok.user_id,
                      pg_catalog.jsonb_build_object('from', current_email, 'to', tok.email), tok.user_id);
    RETURN pg_catalog.json_build_object('user_id', tok.user_id, 'email', tok.email,
                                        'email_verified', true, 'email_changed', true);
END
$$;
COMMENT ON FUNCTION api.verify_email(text) IS
    'Spend an email verification or email change token: {user_id, email, email_verified, email_changed}. '
    'A bad token: HTTP 400 {"code":"PT400"}; the new address taken meanwhile: HTTP 409; PT429 throttled.';

CREATE FUNCTION api.change_email(new_email text)
RETURNS json
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    caller     uuid := app.current_user_id();
    address    app.email_address;
    me         record;
    mail_token record;
BEGIN
    SELECT u.email::text AS email, u.name INTO me
    FROM api.users u JOIN auth.credentials c ON c.user_id = u.id AND c.status = 'active'
    WHERE u.id = caller;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'only a signed-in account can change its email address'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF change_email.new_email IS NULL OR pg_catalog.btrim(change_email.new_email) = '' THEN
        RAISE EXCEPTION 'new_email is required' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    address := pg_catalog.lower(pg_catalog.btrim(change_email.new_email));  -- 23514 when malformed
    IF address OPERATOR(extensions.=) me.email::extensions.citext THEN
        RAISE EXCEPTION 'the new email address is the current one'
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Give a different address.';
    END IF;
    PERFORM auth.throttle('change_email', me.email);
    PERFORM auth.throttle('change_email', address::text);

    -- Whether the address belongs to someone else is not said (no enumeration): no mail
    -- goes out then, and verification would refuse it anyway.
    IF NOT EXISTS (SELECT 1 FROM api.users u WHERE u.email OPERATOR(extensions.=) address::extensions.citext) THEN
        SELECT * INTO mail_token FROM auth.issue_token('email_change', caller, address::text);
        PERFORM app.queue_mail('email_change', address::text, pg_catalog.jsonb_build_object(
            'token', mail_token.token, 'expires_at', mail_token.expires_at, 'name', me.name,
            'new_email', address::text));
    END IF;
    PERFORM app.audit('auth.email_change_requested', NULL, 'users', caller,
                      pg_catalog.jsonb_build_object('to', address::text));
    RETURN pg_catalog.json_build_object(
        'email', me.email, 'new_email', address::text,
        'message', 'A verification link is on its way to the new address; the email changes when it is opened.');
END
$$;
COMMENT ON FUNCTION api.change_email(text) IS
    'Start changing the caller''s email: a token goes to the new address and the email changes on '
    'api.verify_email. Returns {email, new_email, message} (the same whether or not the address is taken). '
    'Errors: 22023 missing or unchanged, 23514 malformed, 42501 not signed in, PT429 throttled.';

REVOKE EXECUTE ON FUNCTION api.verify_email(text), api.change_email(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.verify_email(text) TO anon, authenticated;
GRANT EXECUTE ON FUNCTION api.change_email(text) TO authenticated;

COMMIT;

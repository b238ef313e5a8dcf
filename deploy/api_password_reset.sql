-- Deploy taproot:api_password_reset to pg
-- requires: auth_one_time_tokens, api_auth, auth_passwords, app_mail, app_audit_log
-- Forgotten passwords. api.request_password_reset answers the same whether or not the email
-- has an account and does the same work either way (the mail is queued in a subtransaction
-- that is rolled back when there is nobody to send it to), so neither the answer nor its
-- timing enumerates accounts. api.reset_password spends the mailed token, sets the password,
-- verifies the address (the token went there) and ends every session of the account.
BEGIN;

CREATE FUNCTION api.request_password_reset(email text)
RETURNS json
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    address    app.email_address;
    account    record;
    raw_token      text;
    raw_expires_at timestamptz;
    decoy          boolean;
BEGIN
    IF request_password_reset.email IS NULL OR pg_catalog.btrim(request_password_reset.email) = '' THEN
        RAISE EXCEPTION 'email is required' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    address := pg_catalog.lower(pg_catalog.btrim(request_password_reset.email));  -- 23514 when malformed
    PERFORM auth.throttle('password_reset', address::text);

    SELECT u.id, u.name INTO account
    FROM api.users u JOIN auth.credentials c ON c.user_id = u.id AND c.status = 'active'
    WHERE u.email OPERATOR(extensions.=) address::extensions.citext;
    decoy := NOT FOUND;

    -- The same statements either way; without an account they are undone.
    BEGIN
        IF decoy THEN
            raw_token := auth.base64url(extensions.gen_random_bytes(32));
            raw_expires_at := pg_catalog.now() + auth.token_lifetime('password_reset');
            PERFORM extensions.digest(raw_token, 'sha256');
        ELSE
            SELECT t.token, t.expires_at INTO raw_token, raw_expires_at
            FROM auth.issue_token('password_reset', account.id, address::text) t;
        END IF;
        PERFORM app.queue_mail('password_reset', address::text, pg_catalog.jsonb_build_object(
            'token', raw_token, 'expires_at', raw_expires_at,
            'name', coalesce(account.name, pg_catalog.split_part(address::text, '@', 1))));
        IF decoy THEN
            RAISE SQLSTATE 'TPDCY';
        END IF;
    EXCEPTION WHEN SQLSTATE 'TPDCY' THEN
        NULL;
    END;
    PERFORM app.audit('auth.password_reset_requested', NULL, 'users', account.id,
                      pg_catalog.jsonb_build_object('email', address::text), account.id);
    RETURN pg_catalog.json_build_object(
        'email', address::text,
        'message', 'If an account uses this address, a password reset link is on its way to it.');
END
$$;
COMMENT ON FUNCTION api.request_password_reset(text) IS
    'Mail a password reset token (valid 1 hour) if the email has an account; the answer {email, message} '
    'is the same either way. Errors: 22023 missing email, 23514 malformed, PT429 throttled.';

CREATE FUNCTION api.reset_password(token text, new_password text)
RETURNS json
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    tok   record;
    ended integer;
BEGIN
    PERFORM auth.throttle('reset_password', NULL);
    SELECT * INTO tok FROM auth.find_token('{password_reset}', reset_password.token);
    IF tok.state <> 'ok' THEN
        RETURN auth.token_refused(tok.state, 'password reset', 'Request a new password reset.');
    END IF;
    PERFORM auth.throttle('reset_password', tok.email);
    IF NOT EXISTS (SELECT 1 FROM api.users u JOIN auth.credentials c ON c.user_id = u.id AND c.status = 'active'
                   WHERE u.id = tok.user_id AND u.email OPERATOR(extensions.=) tok.email::extensions.citext) THEN
        -- The account was disabled, or its address changed, since the mail was sent.
        RETURN auth.token_refused('revoked', 'password reset', 'Request a new password reset.');
    END IF;

    PERFORM auth.set_password(tok.user_id, reset_password.new_password);  -- 22023: the policy
    UPDATE auth.credentials c SET email_verified_at = coalesce(c.email_verified_at, pg_catalog.now())
    WHERE c.user_id = tok.user_id;
    PERFORM auth.spend_token(tok.token_id);
    UPDATE auth.one_time_tokens t SET revoked_at = pg_catalog.now()
    WHERE t.user_id = tok.user_id AND t.kind = 'password_reset' AND t.used_at IS NULL AND t.revoked_at IS NULL;
    UPDATE auth.sessions s SET revoked_at = pg_catalog.now(), revoked_reason = 'password reset'
    WHERE s.user_id = tok.user_id AND s.revoked_at IS NULL;
    GET DIAGNOSTICS ended = ROW_COUNT;
    -- The owner of the address is back in: the run of failed logins ends, as on a login.
    INSERT INTO auth.login_attempts (email, succeeded) VALUES (tok.email, true);
    PERFORM app.audit('auth.password_reset', NULL, 'users', tok.user_id,
                      pg_catalog.jsonb_build_object('sessions_ended', ended), tok.user_id);
    RETURN pg_catalog.json_build_object(
        'email', tok.email, 'sessions_ended', ended,
        'message', 'The password has been changed and every session ended; log in with the new password.');
END
$$;
COMMENT ON FUNCTION api.reset_password(text, text) IS
    'Spend a password reset token: set the password, verify the address, end every session of the account; '
    'returns {email, sessions_ended, message}. A bad token: HTTP 400 {"code":"PT400"}; 22023 password policy; '
    'PT429 throttled.';

REVOKE EXECUTE ON FUNCTION api.request_password_reset(text), api.reset_password(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.request_password_reset(text), api.reset_password(text, text) TO anon, authenticated;

COMMIT;

-- Deploy taproot:api_change_password_throttle to pg
-- requires: api_change_password, api_auth_refresh_reuse
-- api.change_password raised PT401 on a wrong current password, which rolled back any record
-- of the attempt: a stolen access token could guess the current password without limit, and
-- a right guess takes the account over for good. It now counts failures in login's table
-- (auth.login_attempts, keyed by the account's email, so login and change_password share one
-- counter), answers a wrong password with response.status 401 + an error body like api.login
-- (so the record is committed), and raises PT429 after 10 failures in 15 minutes.
-- Answering a body needs a json result: a function's return type cannot be replaced, so the
-- function is dropped and created again (with its grant); on success it returns null.
BEGIN;

DROP FUNCTION api.change_password(text, text);

CREATE FUNCTION api.change_password(current_password text, new_password text)
RETURNS json
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    caller          uuid := app.current_user_id();
    attempt_email   extensions.citext;
    stored_hash     text;
    recent_failures bigint;
BEGIN
    SELECT u.email::extensions.citext INTO attempt_email FROM api.users u WHERE u.id = caller;
    -- Lock first: concurrent attempts on one account then count each other's failures.
    SELECT c.password_hash INTO stored_hash
    FROM auth.credentials c WHERE c.user_id = caller AND c.status = 'active' FOR UPDATE;

    -- The same throttle as api.login (same table, same key, same window).
    SELECT pg_catalog.count(*) INTO recent_failures
    FROM auth.login_attempts a
    WHERE a.email OPERATOR(extensions.=) attempt_email AND NOT a.succeeded
      AND a.attempted_at > pg_catalog.now() - interval '15 minutes'
      AND a.id > coalesce((SELECT pg_catalog.max(s.id) FROM auth.login_attempts s
                           WHERE s.email OPERATOR(extensions.=) attempt_email AND s.succeeded), 0);
    IF recent_failures >= 10 THEN
        RAISE SQLSTATE 'PT429'
            USING MESSAGE = 'too many failed password attempts for this account',
                  DETAIL = '10 failed attempts within 15 minutes',
                  HINT = 'Wait 15 minutes and try again.';
    END IF;

    IF stored_hash IS NULL
       OR extensions.crypt(coalesce(change_password.current_password, ''), stored_hash) IS DISTINCT FROM stored_hash THEN
        -- Answered, not raised, so that the failure is committed and counted.
        IF attempt_email IS NOT NULL THEN
            INSERT INTO auth.login_attempts (email, succeeded) VALUES (attempt_email, false);
        END IF;
        PERFORM app.audit('auth.password_change_failed', NULL, 'users', caller);
        RETURN app.http_error(401, 'PT401', 'the current password is wrong', NULL,
                              'Check the current password.');
    END IF;
    IF change_password.new_password = change_password.current_password THEN
        RAISE EXCEPTION 'the new password must differ from the current one'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM auth.set_password(caller, change_password.new_password);
    UPDATE auth.sessions s SET revoked_at = pg_catalog.now(), revoked_reason = 'password changed'
    WHERE s.user_id = caller AND s.revoked_at IS NULL
      AND s.id IS DISTINCT FROM app.current_session_id();
    -- A right password ends the run of failures, as a successful login does.
    INSERT INTO auth.login_attempts (email, succeeded) VALUES (attempt_email, true);
    PERFORM app.audit('auth.password_changed', NULL, 'users', caller);
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION api.change_password(text, text) IS
    'Change the caller''s password and end their other sessions; returns null. Wrong current password: '
    'HTTP 401 {"code":"PT401","message":"the current password is wrong"}, counted with failed logins; '
    'throttled: SQLSTATE PT429 (HTTP 429) after 10 failures in 15 minutes. '
    '22023 password policy or unchanged password.';
GRANT EXECUTE ON FUNCTION api.change_password(text, text) TO authenticated;

COMMIT;

-- Revert taproot:api_change_password_throttle from pg
-- Back to api.change_password of api_change_password (returns void, raises PT401, no throttle).
BEGIN;

DROP FUNCTION api.change_password(text, text);

CREATE FUNCTION api.change_password(current_password text, new_password text)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    caller      uuid := app.current_user_id();
    stored_hash text;
BEGIN
    SELECT c.password_hash INTO stored_hash
    FROM auth.credentials c WHERE c.user_id = caller AND c.status = 'active' FOR UPDATE;
    IF stored_hash IS NULL
       OR extensions.crypt(coalesce(change_password.current_password, ''), stored_hash) IS DISTINCT FROM stored_hash THEN
        RAISE SQLSTATE 'PT401' USING MESSAGE = 'the current password is wrong';
    END IF;
    IF change_password.new_password = change_password.current_password THEN
        RAISE EXCEPTION 'the new password must differ from the current one'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM auth.set_password(caller, change_password.new_password);
    UPDATE auth.sessions s SET revoked_at = pg_catalog.now(), revoked_reason = 'password changed'
    WHERE s.user_id = caller AND s.revoked_at IS NULL
      AND s.id IS DISTINCT FROM app.current_session_id();
    PERFORM app.audit('auth.password_changed', NULL, 'users', caller);
END
$$;
COMMENT ON FUNCTION api.change_password(text, text) IS
    'Change the caller''s password and end their other sessions. Errors: PT401 wrong current password; '
    '22023 password policy or unchanged password.';
GRANT EXECUTE ON FUNCTION api.change_password(text, text) TO authenticated;

COMMIT;

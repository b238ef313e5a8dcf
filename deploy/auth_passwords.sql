-- Deploy taproot:auth_passwords to pg
-- requires: auth_credentials, app_email_domain
-- Password policy and bcrypt hashing (pgcrypto, cost 10).
BEGIN;

CREATE FUNCTION auth.check_password_policy(p_password text, p_email text)
RETURNS void
LANGUAGE plpgsql
IMMUTABLE
SET search_path = ''
AS $$
BEGIN
    IF p_password IS NULL OR pg_catalog.length(p_password) < 10 THEN
        RAISE EXCEPTION 'password must be at least 10 characters'
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Choose a longer password.';
    END IF;
    IF pg_catalog.octet_length(p_password) > 72 THEN
        RAISE EXCEPTION 'password must be at most 72 bytes'
            USING ERRCODE = 'invalid_parameter_value', DETAIL = 'bcrypt ignores anything longer.';
    END IF;
    IF pg_catalog.lower(p_password) = pg_catalog.lower(p_email)
       OR pg_catalog.lower(p_password) = pg_catalog.lower(pg_catalog.split_part(p_email, '@', 1)) THEN
        RAISE EXCEPTION 'password must not be the email address'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
END
$$;
COMMENT ON FUNCTION auth.check_password_policy(text, text) IS
    'Raise 22023 unless the password has at least 10 characters, at most 72 bytes and is not the email';

CREATE FUNCTION auth.set_password(p_user_id uuid, p_password text)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    user_email text;
BEGIN
    SELECT u.email::text INTO user_email FROM api.users u WHERE u.id = p_user_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no user with id %', p_user_id USING ERRCODE = 'foreign_key_violation';
    END IF;
    PERFORM auth.check_password_policy(p_password, user_email);
    INSERT INTO auth.credentials (user_id, password_hash)
    VALUES (p_user_id, extensions.crypt(p_password, extensions.gen_salt('bf', 10)))
    ON CONFLICT (user_id) DO UPDATE SET password_hash = EXCLUDED.password_hash;
END
$$;
COMMENT ON FUNCTION auth.set_password(uuid, text) IS
    'Check the policy and store a bcrypt (cost 10) hash; owner only (seed data, signup)';

REVOKE EXECUTE ON FUNCTION auth.check_password_policy(text, text), auth.set_password(uuid, text)
    FROM PUBLIC;

COMMIT;

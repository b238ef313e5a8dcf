-- Deploy taproot:auth_jwt to pg
-- requires: auth_schema, extensions
-- The HS256 signing secret, generated at deploy time, and the signer. Only the owner (and
-- definer functions it owns) can read the secret; `taproot up` hands it to the gateway.
BEGIN;

CREATE TABLE auth.jwt_secret (
    singleton  boolean PRIMARY KEY DEFAULT true CONSTRAINT jwt_secret_single_row CHECK (singleton),
    secret     text NOT NULL
        CONSTRAINT jwt_secret_min_length CHECK (length(secret) >= 32),
    created_at timestamptz NOT NULL DEFAULT now(),
    rotated_at timestamptz
);
COMMENT ON TABLE auth.jwt_secret IS 'The JWT signing secret (one row); read through auth.jwt_secret()';
ALTER TABLE auth.jwt_secret ENABLE ROW LEVEL SECURITY;
ALTER TABLE auth.jwt_secret FORCE ROW LEVEL SECURITY;
REVOKE ALL ON auth.jwt_secret FROM PUBLIC;
INSERT INTO auth.jwt_secret (secret) VALUES (encode(extensions.gen_random_bytes(32), 'hex'));

CREATE FUNCTION auth.jwt_secret()
RETURNS text
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = ''
AS $$
    SELECT s.secret FROM auth.jwt_secret s
$$;
COMMENT ON FUNCTION auth.jwt_secret() IS 'The JWT signing secret; owner only (taproot up passes it to the gateway)';

CREATE FUNCTION auth.set_jwt_secret(p_secret text)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = ''
AS $$
BEGIN
    IF p_secret IS NULL OR length(p_secret) < 32 THEN
        RAISE EXCEPTION 'the JWT secret must be at least 32 characters'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    UPDATE auth.jwt_secret SET secret = p_secret, rotated_at = pg_catalog.now()
    WHERE secret IS DISTINCT FROM p_secret;
END
$$;
COMMENT ON FUNCTION auth.set_jwt_secret(text) IS
    'Replace the JWT signing secret (at least 32 characters); owner only';

CREATE FUNCTION auth.base64url(p_data bytea)
RETURNS text
LANGUAGE sql
IMMUTABLE
STRICT
SET search_path = ''
AS $$
    SELECT pg_catalog.translate(pg_catalog.encode(p_data, 'base64'), E'+/=\n', '-_')
$$;
COMMENT ON FUNCTION auth.base64url(bytea) IS 'base64url without padding (RFC 7515)';

CREATE FUNCTION auth.sign_jwt(p_claims jsonb)
RETURNS text
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    signing_input text;
BEGIN
    signing_input := auth.base64url(pg_catalog.convert_to('{"alg":"HS256","typ":"JWT"}', 'UTF8'))
                     || '.' || auth.base64url(pg_catalog.convert_to(p_claims::text, 'UTF8'));
    RETURN signing_input || '.'
           || auth.base64url(extensions.hmac(signing_input, auth.jwt_secret(), 'sha256'));
END
$$;
COMMENT ON FUNCTION auth.sign_jwt(jsonb) IS 'An HS256 JWT over the claims, signed with auth.jwt_secret()';

REVOKE EXECUTE ON FUNCTION auth.jwt_secret(), auth.set_jwt_secret(text), auth.base64url(bytea),
    auth.sign_jwt(jsonb) FROM PUBLIC;

COMMIT;

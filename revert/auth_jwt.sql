-- Revert taproot:auth_jwt from pg
BEGIN;

DROP FUNCTION auth.sign_jwt(jsonb);
DROP FUNCTION auth.base64url(bytea);
DROP FUNCTION auth.set_jwt_secret(text);
DROP FUNCTION auth.jwt_secret();
DROP TABLE auth.jwt_secret;

COMMIT;

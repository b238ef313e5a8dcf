-- Revert taproot:auth_passwords from pg
BEGIN;

DROP FUNCTION auth.set_password(uuid, text);
DROP FUNCTION auth.check_password_policy(text, text);

COMMIT;

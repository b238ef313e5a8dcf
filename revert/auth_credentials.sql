-- Revert taproot:auth_credentials from pg
BEGIN;

DROP TABLE auth.login_attempts;
DROP TABLE auth.refresh_tokens;
DROP TABLE auth.sessions;
DROP TABLE auth.credentials;

COMMIT;

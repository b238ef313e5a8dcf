-- Revert taproot:auth_one_time_tokens from pg
BEGIN;

DROP FUNCTION auth.token_refused(text, text, text);
DROP FUNCTION auth.throttle(text, text, double precision);
DROP FUNCTION auth.client_ip();
DROP FUNCTION auth.require_verified_email();
DROP FUNCTION auth.spend_token(bigint);
DROP FUNCTION auth.find_token(text[], text);
DROP FUNCTION auth.issue_token(text, uuid, text, uuid);
DROP FUNCTION auth.token_lifetime(text);
DROP TABLE auth.one_time_tokens;
DROP TABLE app.invitations;
ALTER TABLE auth.credentials DROP COLUMN email_verified_at;

COMMIT;

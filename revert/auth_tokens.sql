-- Revert taproot:auth_tokens from pg
BEGIN;

DROP FUNCTION auth.start_session(uuid);
DROP FUNCTION auth.issue_tokens(uuid, uuid);

COMMIT;

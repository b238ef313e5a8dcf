-- Revert taproot:api_users from pg
BEGIN;

DROP TABLE api.users;
DROP FUNCTION app.normalize_user_email();

COMMIT;

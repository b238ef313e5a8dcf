-- Revert taproot:api_password_reset from pg
BEGIN;

DROP FUNCTION api.reset_password(text, text);
DROP FUNCTION api.request_password_reset(text);

COMMIT;

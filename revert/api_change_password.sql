-- Revert taproot:api_change_password from pg
BEGIN;

DROP FUNCTION api.change_password(text, text);

COMMIT;

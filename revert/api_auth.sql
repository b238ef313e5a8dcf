-- Revert taproot:api_auth from pg
BEGIN;

DROP FUNCTION api.logout();
DROP FUNCTION api.refresh(text);
DROP FUNCTION api.login(text, text);
DROP FUNCTION api.signup(text, text, text);

COMMIT;

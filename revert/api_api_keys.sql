-- Revert taproot:api_api_keys from pg
BEGIN;

DROP FUNCTION app.authenticate_api_key(text);
DROP FUNCTION api.revoke_api_key(uuid);
DROP FUNCTION api.create_api_key(uuid, text, bigint, integer, integer);
DROP FUNCTION app.check_manages_api_keys(uuid);
DROP FUNCTION app.check_may_run_ai(uuid);
DROP FUNCTION app.may_run_ai(uuid);
DROP FUNCTION app.current_api_key_id();
DROP VIEW api.api_keys;
DROP TABLE app.api_keys;

COMMIT;

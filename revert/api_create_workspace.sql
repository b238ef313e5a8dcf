-- Revert taproot:api_create_workspace from pg
BEGIN;

DROP FUNCTION api.create_workspace(text);

COMMIT;

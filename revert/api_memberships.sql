-- Revert taproot:api_memberships from pg
BEGIN;

DROP TABLE api.memberships;
DROP FUNCTION app.keep_last_owner();

COMMIT;

-- Revert taproot:api_invite_member from pg
BEGIN;

DROP FUNCTION api.invite_member(uuid, text, text, text);

COMMIT;

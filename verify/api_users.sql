-- Verify taproot:api_users on pg
BEGIN;

SELECT id, email, name, invited_by, created_at, updated_at FROM api.users WHERE false;

ROLLBACK;

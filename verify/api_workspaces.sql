-- Verify taproot:api_workspaces on pg
BEGIN;

SELECT id, name, daily_token_quota, created_by, created_at, updated_at
FROM api.workspaces WHERE false;

ROLLBACK;

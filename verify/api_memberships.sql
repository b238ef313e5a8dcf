-- Verify taproot:api_memberships on pg
BEGIN;

SELECT workspace_id, user_id, role, created_at, updated_at FROM api.memberships WHERE false;
SELECT 'app.keep_last_owner()'::regprocedure;

ROLLBACK;

-- Verify taproot:api_prompts on pg
BEGIN;

SELECT id, workspace_id, name, description, created_by, created_at, updated_at FROM api.prompts WHERE false;

ROLLBACK;

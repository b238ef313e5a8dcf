-- Verify taproot:api_prompt_versions on pg
BEGIN;

SELECT id, prompt_id, workspace_id, version, template, variables, model, params, created_by, created_at
FROM api.prompt_versions WHERE false;

ROLLBACK;

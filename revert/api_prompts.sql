-- Revert taproot:api_prompts from pg
BEGIN;

DROP TABLE api.prompts;

COMMIT;

-- Revert taproot:api_prompt_versions from pg
BEGIN;

DROP TABLE api.prompt_versions;
DROP FUNCTION app.refuse_prompt_version_change();
DROP FUNCTION app.prepare_prompt_version();

COMMIT;

-- Revert taproot:api_prompt_versions_author_removal from pg
BEGIN;

CREATE OR REPLACE FUNCTION app.refuse_prompt_version_change()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = ''
AS $$
BEGIN
    RAISE EXCEPTION 'prompt versions are immutable' USING ERRCODE = 'insufficient_privilege',
        HINT = 'Insert a new version instead.';
END
$$;
COMMENT ON FUNCTION app.refuse_prompt_version_change() IS 'BEFORE UPDATE on api.prompt_versions: always refuse';

COMMIT;

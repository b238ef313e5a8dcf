-- Deploy taproot:api_prompt_versions_author_removal to pg
-- requires: api_prompt_versions
-- Deleting a user sets created_by to NULL on their prompt versions (ON DELETE SET NULL);
-- the immutability trigger refused that update, so such users could not be deleted.
-- Versions stay immutable in every other respect.
BEGIN;

CREATE OR REPLACE FUNCTION app.refuse_prompt_version_change()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = ''
AS $$
BEGIN
    IF NEW.created_by IS NULL AND OLD.created_by IS NOT NULL
       AND (NEW.id, NEW.prompt_id, NEW.workspace_id, NEW.version, NEW.template, NEW.variables,
            NEW.model, NEW.params, NEW.created_at)
           IS NOT DISTINCT FROM
           (OLD.id, OLD.prompt_id, OLD.workspace_id, OLD.version, OLD.template, OLD.variables,
            OLD.model, OLD.params, OLD.created_at) THEN
        RETURN NEW;  -- the author was deleted
    END IF;
    RAISE EXCEPTION 'prompt versions are immutable' USING ERRCODE = 'insufficient_privilege',
        HINT = 'Insert a new version instead.';
END
$$;
COMMENT ON FUNCTION app.refuse_prompt_version_change() IS
    'BEFORE UPDATE on api.prompt_versions: refuse, except created_by becoming NULL when the author is deleted';

COMMIT;

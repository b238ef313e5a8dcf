-- Revert taproot:api_ai_requests_version_workspace from pg
-- Back to the trigger of api_ai_requests.
BEGIN;

CREATE OR REPLACE FUNCTION app.prepare_ai_request()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    declared jsonb;
    version_workspace uuid;
BEGIN
    SELECT v.variables, v.workspace_id INTO declared, version_workspace
    FROM api.prompt_versions v WHERE v.id = NEW.prompt_version_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'prompt version % does not exist', NEW.prompt_version_id
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    NEW.workspace_id := coalesce(NEW.workspace_id, version_workspace);
    IF app.current_user_id() IS NOT NULL
       AND NOT app.has_workspace_role(NEW.workspace_id, '{owner,admin,member}') THEN
        RAISE EXCEPTION 'only owners, admins and members of the workspace can run its prompts'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    PERFORM app.check_prompt_inputs(declared, NEW.inputs);
    PERFORM app.check_token_quota(NEW.workspace_id);
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION app.prepare_ai_request() IS
    'BEFORE INSERT on api.ai_requests: workspace from the version, caller may write, inputs valid, quota left';

COMMIT;

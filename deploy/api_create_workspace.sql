-- Deploy taproot:api_create_workspace to pg
-- requires: api_workspaces, api_memberships, app_request_context
BEGIN;

CREATE FUNCTION api.create_workspace(name text)
RETURNS api.workspaces
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    caller    uuid := app.current_user_id();
    workspace api.workspaces;
BEGIN
    IF caller IS NULL THEN
        RAISE EXCEPTION 'sign in to create a workspace' USING ERRCODE = 'insufficient_privilege';
    END IF;
    INSERT INTO api.workspaces (name, created_by) VALUES (pg_catalog.btrim(create_workspace.name), caller)
    RETURNING * INTO workspace;
    INSERT INTO api.memberships (workspace_id, user_id, role) VALUES (workspace.id, caller, 'owner');
    RETURN workspace;
END
$$;
COMMENT ON FUNCTION api.create_workspace(text) IS
    'Create a workspace with the caller as its owner; returns the workspace. '
    'Errors: 23514 when the name is blank or longer than 100 characters.';
GRANT EXECUTE ON FUNCTION api.create_workspace(text) TO authenticated;

COMMIT;

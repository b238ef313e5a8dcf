-- Deploy taproot:app_permissions to pg
-- requires: api_memberships, app_request_context
-- Permission helpers for policies. SECURITY DEFINER so they read memberships without
-- recursing into its own policies; policies call them as (SELECT app.f()) so that they run
-- once per statement and the array lands in an index condition.
BEGIN;

CREATE FUNCTION app.my_workspace_ids()
RETURNS uuid[]
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = ''
AS $$
    SELECT coalesce(pg_catalog.array_agg(m.workspace_id), '{}')
    FROM api.memberships m
    WHERE m.user_id = app.current_user_id()
$$;
COMMENT ON FUNCTION app.my_workspace_ids() IS 'Workspaces the caller belongs to, in any role';

CREATE FUNCTION app.my_workspace_ids(p_roles text[])
RETURNS uuid[]
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = ''
AS $$
    SELECT coalesce(pg_catalog.array_agg(m.workspace_id), '{}')
    FROM api.memberships m
    WHERE m.user_id = app.current_user_id() AND m.role = ANY (p_roles)
$$;
COMMENT ON FUNCTION app.my_workspace_ids(text[]) IS
    'Workspaces where the caller holds one of the given roles';

CREATE FUNCTION app.has_workspace_role(p_workspace_id uuid, p_roles text[])
RETURNS boolean
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = ''
AS $$
    SELECT EXISTS (
        SELECT 1 FROM api.memberships m
        WHERE m.workspace_id = p_workspace_id AND m.user_id = app.current_user_id()
          AND m.role = ANY (p_roles))
$$;
COMMENT ON FUNCTION app.has_workspace_role(uuid, text[]) IS
    'Does the caller hold one of these roles in this workspace?';

CREATE FUNCTION app.co_member_ids()
RETURNS uuid[]
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = ''
AS $$
    SELECT coalesce(pg_catalog.array_agg(DISTINCT other.user_id), '{}')
    FROM api.memberships mine
    JOIN api.memberships other ON other.workspace_id = mine.workspace_id
    WHERE mine.user_id = app.current_user_id()
$$;
COMMENT ON FUNCTION app.co_member_ids() IS 'Users who share at least one workspace with the caller';

CREATE FUNCTION app.is_admin_somewhere()
RETURNS boolean
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = ''
AS $$
    SELECT EXISTS (
        SELECT 1 FROM api.memberships m
        WHERE m.user_id = app.current_user_id() AND m.role IN ('owner', 'admin'))
$$;
COMMENT ON FUNCTION app.is_admin_somewhere() IS
    'Is the caller owner or admin of any workspace (and so may invite users)?';

GRANT EXECUTE ON FUNCTION app.my_workspace_ids(), app.my_workspace_ids(text[]),
    app.has_workspace_role(uuid, text[]), app.co_member_ids(), app.is_admin_somewhere()
    TO authenticated;

COMMIT;

-- Deploy taproot:api_memberships to pg
-- requires: api_users, api_workspaces, app_events, app_audit_log, app_touch_updated_at
-- Who belongs to which workspace, as owner, admin, member or viewer.
BEGIN;

CREATE TABLE api.memberships (
    workspace_id uuid NOT NULL REFERENCES api.workspaces (id) ON DELETE CASCADE,
    user_id      uuid NOT NULL REFERENCES api.users (id) ON DELETE CASCADE,
    role         text NOT NULL DEFAULT 'member'
        CONSTRAINT memberships_role_known CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace_id, user_id)
);
COMMENT ON TABLE api.memberships IS
    'Workspace members and their role: owner, admin (manage members), member (write), viewer (read)';
-- The primary key serves lookups by workspace; this one serves "my workspaces" (RLS helpers).
CREATE INDEX memberships_user_id_idx ON api.memberships (user_id, workspace_id) INCLUDE (role);

-- A workspace always keeps an owner. Deleting the workspace itself (which cascades here)
-- is allowed: by then the workspace row is gone.
CREATE FUNCTION app.keep_last_owner()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = ''
AS $$
BEGIN
    IF OLD.role = 'owner'
       AND (TG_OP = 'DELETE' OR NEW.role <> 'owner' OR NEW.workspace_id <> OLD.workspace_id
            OR NEW.user_id <> OLD.user_id) THEN
        -- Serialize concurrent demotions of the owners of one workspace.
        PERFORM 1 FROM api.workspaces w WHERE w.id = OLD.workspace_id FOR UPDATE;
        IF FOUND AND NOT EXISTS (
            SELECT 1 FROM api.memberships m
            WHERE m.workspace_id = OLD.workspace_id AND m.role = 'owner'
              AND m.user_id <> OLD.user_id) THEN
            RAISE EXCEPTION 'the last owner of a workspace cannot leave or be demoted'
                USING ERRCODE = 'check_violation',
                      DETAIL = pg_catalog.format('workspace %s has no other owner', OLD.workspace_id),
                      HINT = 'Make another member owner first, or delete the workspace.';
        END IF;
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION app.keep_last_owner() IS
    'BEFORE UPDATE/DELETE trigger on api.memberships: refuse to remove the last owner';

CREATE TRIGGER memberships_keep_last_owner BEFORE UPDATE OR DELETE ON api.memberships
    FOR EACH ROW EXECUTE FUNCTION app.keep_last_owner();
CREATE TRIGGER memberships_touch_updated_at BEFORE UPDATE ON api.memberships
    FOR EACH ROW EXECUTE FUNCTION app.touch_updated_at();
CREATE TRIGGER memberships_emit_event AFTER INSERT OR UPDATE OR DELETE ON api.memberships
    FOR EACH ROW EXECUTE FUNCTION app.emit_row_event('user_id', 'user_id', 'role');
CREATE TRIGGER memberships_audit AFTER INSERT OR UPDATE OR DELETE ON api.memberships
    FOR EACH ROW EXECUTE FUNCTION app.audit_row_change('user_id', 'user_id', 'role');

COMMIT;

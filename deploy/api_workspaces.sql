-- Deploy taproot:api_workspaces to pg
-- requires: api_users, app_touch_updated_at, app_audit_log
-- Workspaces are the tenants: every document, prompt and AI request belongs to one.
BEGIN;

CREATE TABLE api.workspaces (
    id                uuid PRIMARY KEY DEFAULT extensions.gen_random_uuid(),
    name              text NOT NULL
        CONSTRAINT workspaces_name_length CHECK (length(btrim(name)) BETWEEN 1 AND 100),
    daily_token_quota bigint NOT NULL DEFAULT 1000000
        CONSTRAINT workspaces_daily_token_quota_positive CHECK (daily_token_quota > 0),
    created_by        uuid DEFAULT app.current_user_id()
        REFERENCES api.users (id) ON DELETE SET NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE api.workspaces IS 'Tenants; create one with api.create_workspace(name)';
COMMENT ON COLUMN api.workspaces.daily_token_quota IS
    'Tokens (in + out) the workspace may use per UTC day; set by the service role';
CREATE INDEX workspaces_created_by_idx ON api.workspaces (created_by);

CREATE TRIGGER workspaces_touch_updated_at BEFORE UPDATE ON api.workspaces
    FOR EACH ROW EXECUTE FUNCTION app.touch_updated_at();
CREATE TRIGGER workspaces_audit AFTER INSERT OR UPDATE OR DELETE ON api.workspaces
    FOR EACH ROW EXECUTE FUNCTION app.audit_row_change('id', 'name', 'daily_token_quota');

COMMIT;

-- Deploy taproot:api_prompts to pg
-- requires: api_workspaces, api_users, app_touch_updated_at, app_request_context
-- Prompt templates: a named prompt per workspace; its text lives in immutable versions.
BEGIN;

CREATE TABLE api.prompts (
    id           uuid PRIMARY KEY DEFAULT extensions.gen_random_uuid(),
    workspace_id uuid NOT NULL REFERENCES api.workspaces (id) ON DELETE CASCADE,
    name         text NOT NULL
        CONSTRAINT prompts_name_length CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    description  text NOT NULL DEFAULT ''
        CONSTRAINT prompts_description_length CHECK (length(description) <= 2000),
    created_by   uuid DEFAULT app.current_user_id() REFERENCES api.users (id) ON DELETE SET NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT prompts_workspace_id_name_key UNIQUE (workspace_id, name),
    -- Lets versions and requests reference (prompt, workspace) pairs, so they cannot drift.
    CONSTRAINT prompts_id_workspace_id_key UNIQUE (id, workspace_id)
);
COMMENT ON TABLE api.prompts IS
    'Prompt templates by name; the text, variables and model are in api.prompt_versions';
CREATE INDEX prompts_created_by_idx ON api.prompts (created_by);

CREATE TRIGGER prompts_touch_updated_at BEFORE UPDATE ON api.prompts
    FOR EACH ROW EXECUTE FUNCTION app.touch_updated_at();

COMMIT;

-- Deploy taproot:api_prompt_versions to pg
-- requires: api_prompts, app_prompt_variables, app_request_context
-- Immutable versions of a prompt: template with {{variable}} placeholders, declared
-- variable types, model and parameters. Numbered 1, 2, 3… per prompt; never updated.
BEGIN;

CREATE TABLE api.prompt_versions (
    id           uuid PRIMARY KEY DEFAULT extensions.gen_random_uuid(),
    prompt_id    uuid NOT NULL,
    workspace_id uuid NOT NULL,
    version      integer NOT NULL CONSTRAINT prompt_versions_version_positive CHECK (version > 0),
    template     text NOT NULL
        CONSTRAINT prompt_versions_template_length CHECK (length(template) BETWEEN 1 AND 100000),
    variables    jsonb NOT NULL DEFAULT '{}'
        CONSTRAINT prompt_versions_variables_object CHECK (jsonb_typeof(variables) = 'object'),
    model        text NOT NULL
        CONSTRAINT prompt_versions_model_length CHECK (length(btrim(model)) BETWEEN 1 AND 200),
    params       jsonb NOT NULL DEFAULT '{}'
        CONSTRAINT prompt_versions_params_object CHECK (jsonb_typeof(params) = 'object'),
    created_by   uuid DEFAULT app.current_user_id() REFERENCES api.users (id) ON DELETE SET NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT prompt_versions_prompt_id_version_key UNIQUE (prompt_id, version),
    CONSTRAINT prompt_versions_id_workspace_id_key UNIQUE (id, workspace_id),
    CONSTRAINT prompt_versions_prompt_fkey FOREIGN KEY (prompt_id, workspace_id)
        REFERENCES api.prompts (id, workspace_id) ON DELETE CASCADE
);
COMMENT ON TABLE api.prompt_versions IS
    'Immutable prompt versions; insert {prompt_id, template, variables, model, params} and the '
    'version number and workspace are filled in';
COMMENT ON COLUMN api.prompt_versions.variables IS
    'Declared variables: {"name": "string|number|integer|boolean|array|object"}; must match the template''s {{placeholders}}';
COMMENT ON COLUMN api.prompt_versions.workspace_id IS 'Copied from the prompt (for policies and indexes)';
CREATE INDEX prompt_versions_workspace_id_idx ON api.prompt_versions (workspace_id);
CREATE INDEX prompt_versions_prompt_id_workspace_id_idx ON api.prompt_versions (prompt_id, workspace_id);
CREATE INDEX prompt_versions_created_by_idx ON api.prompt_versions (created_by);

-- Fill workspace_id and the next version number, and check the variables. Definer: it
-- must see the prompt and lock it (to number versions safely) whatever the caller's rights;
-- the insert policy still decides whether the caller may add a version.
CREATE FUNCTION app.prepare_prompt_version()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = ''
AS $$
BEGIN
    SELECT p.workspace_id INTO NEW.workspace_id FROM api.prompts p WHERE p.id = NEW.prompt_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'prompt % does not exist', NEW.prompt_id USING ERRCODE = 'foreign_key_violation';
    END IF;
    SELECT coalesce(pg_catalog.max(v.version), 0) + 1 INTO NEW.version
    FROM api.prompt_versions v WHERE v.prompt_id = NEW.prompt_id;
    PERFORM app.check_prompt_variables(NEW.template, NEW.variables);
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION app.prepare_prompt_version() IS
    'BEFORE INSERT on api.prompt_versions: workspace from the prompt, next version number, variables checked';

CREATE FUNCTION app.refuse_prompt_version_change()
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

CREATE TRIGGER prompt_versions_prepare BEFORE INSERT ON api.prompt_versions
    FOR EACH ROW EXECUTE FUNCTION app.prepare_prompt_version();
CREATE TRIGGER prompt_versions_immutable BEFORE UPDATE ON api.prompt_versions
    FOR EACH ROW EXECUTE FUNCTION app.refuse_prompt_version_change();

COMMIT;

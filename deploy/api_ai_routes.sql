-- Deploy taproot:api_ai_routes to pg
-- requires: api_workspaces, app_permissions
-- Per-workspace model routing: the model name a client asks for maps to an ordered list of
-- (credential, upstream model) to try, first position first (fallbacks after it). A
-- workspace without a route for a model uses the environment's default provider.
BEGIN;

CREATE TABLE api.ai_routes (
    id             uuid PRIMARY KEY DEFAULT extensions.gen_random_uuid(),
    workspace_id   uuid NOT NULL REFERENCES api.workspaces (id) ON DELETE CASCADE,
    model          text NOT NULL
        CONSTRAINT ai_routes_model_length CHECK (length(model) BETWEEN 1 AND 200),
    position       integer NOT NULL DEFAULT 1 CONSTRAINT ai_routes_position_positive CHECK (position >= 1),
    credential     text NOT NULL
        CONSTRAINT ai_routes_credential_format CHECK (credential ~ '^[a-z][a-z0-9_-]{0,49}$'),
    upstream_model text
        CONSTRAINT ai_routes_upstream_model_length CHECK (length(upstream_model) BETWEEN 1 AND 200),
    created_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT ai_routes_workspace_id_model_position_key UNIQUE (workspace_id, model, position)
);
COMMENT ON TABLE api.ai_routes IS
    'Model routing per workspace: model -> (credential = provider name or provider secret, '
    'upstream_model, NULL = the same name), tried by position';

ALTER TABLE api.ai_routes ENABLE ROW LEVEL SECURITY;
ALTER TABLE api.ai_routes FORCE ROW LEVEL SECURITY;
GRANT SELECT ON api.ai_routes TO authenticated, service_role, worker;
GRANT INSERT (workspace_id, model, position, credential, upstream_model),
      UPDATE (model, position, credential, upstream_model), DELETE
    ON api.ai_routes TO authenticated;
GRANT INSERT, UPDATE, DELETE ON api.ai_routes TO service_role;

CREATE POLICY "members read their workspaces' AI routes" ON api.ai_routes
    FOR SELECT TO authenticated
    USING (workspace_id = ANY ((SELECT app.my_workspace_ids())::uuid[]));
CREATE POLICY "admins add AI routes to their workspaces" ON api.ai_routes
    FOR INSERT TO authenticated
    WITH CHECK (workspace_id = ANY ((SELECT app.my_workspace_ids('{owner,admin}'))::uuid[]));
CREATE POLICY "admins change their workspaces' AI routes" ON api.ai_routes
    FOR UPDATE TO authenticated
    USING (workspace_id = ANY ((SELECT app.my_workspace_ids('{owner,admin}'))::uuid[]))
    WITH CHECK (workspace_id = ANY ((SELECT app.my_workspace_ids('{owner,admin}'))::uuid[]));
CREATE POLICY "admins delete their workspaces' AI routes" ON api.ai_routes
    FOR DELETE TO authenticated
    USING (workspace_id = ANY ((SELECT app.my_workspace_ids('{owner,admin}'))::uuid[]));
CREATE POLICY "the service role reads all AI routes" ON api.ai_routes
    FOR SELECT TO service_role USING (true);
CREATE POLICY "the service role adds AI routes" ON api.ai_routes
    FOR INSERT TO service_role WITH CHECK (true);
CREATE POLICY "the service role changes AI routes" ON api.ai_routes
    FOR UPDATE TO service_role USING (true) WITH CHECK (true);
CREATE POLICY "the service role deletes AI routes" ON api.ai_routes
    FOR DELETE TO service_role USING (true);
CREATE POLICY "the worker reads all AI routes" ON api.ai_routes
    FOR SELECT TO worker USING (true);

CREATE TRIGGER ai_routes_audit AFTER INSERT OR UPDATE OR DELETE ON api.ai_routes
    FOR EACH ROW EXECUTE FUNCTION app.audit_row_change('id', 'model', 'position', 'credential', 'upstream_model');

-- Invoker rights: RLS decides whose routes the caller sees.
CREATE FUNCTION api.ai_route(p_workspace_id uuid, p_model text)
RETURNS TABLE ("position" integer, credential text, upstream_model text)
LANGUAGE sql
STABLE
SET search_path = ''
AS $$
    SELECT r.position, r.credential, coalesce(r.upstream_model, r.model)
    FROM api.ai_routes r
    WHERE r.workspace_id = p_workspace_id AND r.model = p_model
    ORDER BY r.position
$$;
COMMENT ON FUNCTION api.ai_route(uuid, text) IS
    'Where to send a call for this model in this workspace, in order (empty: use the default provider)';
GRANT EXECUTE ON FUNCTION api.ai_route(uuid, text) TO authenticated, service_role, worker;

COMMIT;

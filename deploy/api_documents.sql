-- Deploy taproot:api_documents to pg
-- requires: api_workspaces, api_users, app_events, app_touch_updated_at, app_request_context
-- Documents of a workspace, with a generated full-text vector (title weighs more than body).
BEGIN;

CREATE TABLE api.documents (
    id           uuid PRIMARY KEY DEFAULT extensions.gen_random_uuid(),
    workspace_id uuid NOT NULL REFERENCES api.workspaces (id) ON DELETE CASCADE,
    title        text NOT NULL
        CONSTRAINT documents_title_length CHECK (length(btrim(title)) BETWEEN 1 AND 500),
    body         text NOT NULL DEFAULT ''
        CONSTRAINT documents_body_size CHECK (octet_length(body) <= 1000000),
    metadata     jsonb NOT NULL DEFAULT '{}'
        CONSTRAINT documents_metadata_object CHECK (jsonb_typeof(metadata) = 'object'),
    search       tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english'::regconfig, title), 'A')
        || setweight(to_tsvector('english'::regconfig, body), 'B')) STORED,
    created_by   uuid DEFAULT app.current_user_id() REFERENCES api.users (id) ON DELETE SET NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE api.documents IS
    'Workspace documents; search them with api.search_documents(workspace_id, query)';
COMMENT ON COLUMN api.documents.search IS 'Generated: English tsvector, title weight A, body weight B';
COMMENT ON COLUMN api.documents.metadata IS 'Free-form JSON object';
-- Serves the RLS predicate (workspace_id = ANY(...)) and the usual newest-first listing.
CREATE INDEX documents_workspace_id_created_at_idx ON api.documents (workspace_id, created_at DESC);
CREATE INDEX documents_created_by_idx ON api.documents (created_by);
CREATE INDEX documents_search_idx ON api.documents USING gin (search);

CREATE TRIGGER documents_touch_updated_at BEFORE UPDATE ON api.documents
    FOR EACH ROW EXECUTE FUNCTION app.touch_updated_at();
CREATE TRIGGER documents_emit_event AFTER INSERT OR UPDATE OR DELETE ON api.documents
    FOR EACH ROW EXECUTE FUNCTION app.emit_row_event('id', 'title');

COMMIT;

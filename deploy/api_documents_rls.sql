-- Deploy taproot:api_documents_rls to pg
-- requires: api_documents, app_permissions
-- Everyone in the workspace reads; owners, admins and members write; viewers only read.
-- Deleting takes an admin or owner, or the document's author.
BEGIN;

ALTER TABLE api.documents ENABLE ROW LEVEL SECURITY;
ALTER TABLE api.documents FORCE ROW LEVEL SECURITY;

GRANT SELECT, INSERT (workspace_id, title, body, metadata), UPDATE (title, body, metadata), DELETE
    ON api.documents TO authenticated;
GRANT SELECT, INSERT, UPDATE, DELETE ON api.documents TO service_role;
GRANT SELECT ON api.documents TO worker;

CREATE POLICY "members read their workspaces' documents" ON api.documents
    FOR SELECT TO authenticated
    USING (workspace_id = ANY ((SELECT app.my_workspace_ids())::uuid[]));
CREATE POLICY "writers add documents as themselves" ON api.documents
    FOR INSERT TO authenticated
    WITH CHECK (workspace_id = ANY ((SELECT app.my_workspace_ids('{owner,admin,member}'))::uuid[])
                AND created_by = (SELECT app.current_user_id()));
CREATE POLICY "writers edit their workspaces' documents" ON api.documents
    FOR UPDATE TO authenticated
    USING (workspace_id = ANY ((SELECT app.my_workspace_ids('{owner,admin,member}'))::uuid[]))
    WITH CHECK (workspace_id = ANY ((SELECT app.my_workspace_ids('{owner,admin,member}'))::uuid[]));
CREATE POLICY "admins and authors delete documents" ON api.documents
    FOR DELETE TO authenticated
    USING (workspace_id = ANY ((SELECT app.my_workspace_ids('{owner,admin}'))::uuid[])
           OR (created_by = (SELECT app.current_user_id())
               AND workspace_id = ANY ((SELECT app.my_workspace_ids('{member}'))::uuid[])));

CREATE POLICY "the service role reads all documents" ON api.documents
    FOR SELECT TO service_role USING (true);
CREATE POLICY "the service role adds documents" ON api.documents
    FOR INSERT TO service_role WITH CHECK (true);
CREATE POLICY "the service role edits documents" ON api.documents
    FOR UPDATE TO service_role USING (true) WITH CHECK (true);
CREATE POLICY "the service role deletes documents" ON api.documents
    FOR DELETE TO service_role USING (true);
CREATE POLICY "the worker reads all documents" ON api.documents
    FOR SELECT TO worker USING (true);

COMMIT;

-- Revert taproot:api_documents_rls from pg
BEGIN;

DROP POLICY "the worker reads all documents" ON api.documents;
DROP POLICY "the service role deletes documents" ON api.documents;
DROP POLICY "the service role edits documents" ON api.documents;
DROP POLICY "the service role adds documents" ON api.documents;
DROP POLICY "the service role reads all documents" ON api.documents;
DROP POLICY "admins and authors delete documents" ON api.documents;
DROP POLICY "writers edit their workspaces' documents" ON api.documents;
DROP POLICY "writers add documents as themselves" ON api.documents;
DROP POLICY "members read their workspaces' documents" ON api.documents;
REVOKE ALL ON api.documents FROM authenticated, service_role, worker;
ALTER TABLE api.documents NO FORCE ROW LEVEL SECURITY;
ALTER TABLE api.documents DISABLE ROW LEVEL SECURITY;

COMMIT;

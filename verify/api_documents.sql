-- Verify taproot:api_documents on pg
BEGIN;

SELECT id, workspace_id, title, body, metadata, search, created_by, created_at, updated_at
FROM api.documents WHERE false;
SELECT 'api.documents_search_idx'::regclass;

ROLLBACK;

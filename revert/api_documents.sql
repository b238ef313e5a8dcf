-- Revert taproot:api_documents from pg
BEGIN;

DROP TABLE api.documents;

COMMIT;

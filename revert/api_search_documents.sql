-- Revert taproot:api_search_documents from pg
BEGIN;

DROP FUNCTION api.search_documents(uuid, text);

COMMIT;

-- Verify taproot:api_search_documents on pg
BEGIN;

SELECT 1 / has_function_privilege('authenticated', 'api.search_documents(uuid, text)', 'execute')::int;

ROLLBACK;

-- Verify taproot:api_documents_rls on pg
BEGIN;

SELECT 1 / count(*) FROM pg_class
WHERE oid = 'api.documents'::regclass AND relrowsecurity AND relforcerowsecurity;
SELECT 1 / has_table_privilege('authenticated', 'api.documents', 'select')::int;

ROLLBACK;

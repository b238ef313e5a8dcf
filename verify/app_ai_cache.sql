-- Verify taproot:app_ai_cache on pg
BEGIN;

SELECT workspace_id, key, response, created_at, expires_at, hits FROM app.ai_cache WHERE false;
SELECT 1 / (relpersistence = 'u')::int FROM pg_catalog.pg_class WHERE oid = 'app.ai_cache'::regclass;
SELECT 1 / (NOT has_table_privilege('authenticated', 'app.ai_cache', 'select'))::int;
SELECT 1 / has_function_privilege('authenticated', 'app.cache_lookup(uuid, text)', 'execute')::int;
SELECT 1 / has_function_privilege('worker', 'app.cache_prune()', 'execute')::int;

ROLLBACK;

-- Revert taproot:app_ai_cache from pg
BEGIN;

DROP FUNCTION app.cache_prune();
DROP FUNCTION app.cache_store(uuid, text, jsonb, integer);
DROP FUNCTION app.cache_lookup(uuid, text);
DROP TABLE app.ai_cache;

COMMIT;

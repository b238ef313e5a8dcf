-- Verify taproot:app_provider_secrets on pg
BEGIN;

SELECT id, workspace_id, provider, key_hint, created_by, created_at, updated_at
FROM api.provider_secrets WHERE false;
SELECT 1 / (NOT has_column_privilege('authenticated', 'app.provider_secrets', 'ciphertext', 'select'))::int;
SELECT 1 / has_function_privilege('worker', 'app.provider_secret(uuid, text)', 'execute')::int;
SELECT 1 / (NOT has_function_privilege('authenticated', 'app.provider_secret(uuid, text)', 'execute'))::int;

ROLLBACK;

-- Verify taproot:api_auth_refresh_reuse on pg
BEGIN;

SELECT 1 / (pg_catalog.pg_get_functiondef('api.refresh(text)'::regprocedure)
            LIKE '%token.used_at IS NULL AND token.expires_at <= pg_catalog.now()%')::int;
SELECT 1 / has_function_privilege('anon', 'api.refresh(text)', 'execute')::int;

ROLLBACK;

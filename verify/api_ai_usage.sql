-- Verify taproot:api_ai_usage on pg
BEGIN;

SELECT id, workspace_id, request_id, api_key_id, user_id, endpoint, provider, model, upstream_model,
       input_tokens, output_tokens, cached_input_tokens, cache_write_tokens, reasoning_tokens, cost,
       cache_hit, estimated, status, latency_ms, created_at, reservation_id
FROM api.ai_usage WHERE false;
SELECT usage_id FROM app.ai_usage_pending WHERE false;
SELECT 1 / has_function_privilege('worker', 'app.record_ai_usage(uuid, uuid, uuid, text, text, text, text, '
    'integer, integer, integer, integer, integer, boolean, boolean, text, integer)', 'execute')::int;
SELECT 1 / has_function_privilege('authenticated', 'app.settle_ai_usage(bigint)', 'execute')::int;
SELECT 1 / has_function_privilege('worker', 'app.settle_ai_usage(bigint)', 'execute')::int;
SELECT 1 / has_function_privilege('worker', 'app.settle_pending_usage(interval)', 'execute')::int;
SELECT 1 / (NOT has_function_privilege('authenticated', 'app.settle_pending_usage(interval)', 'execute'))::int;
SELECT 1 / (pg_catalog.pg_get_functiondef('app.release_expired_reservations()'::regprocedure)
            LIKE '%app.settle_ai_usage_row%')::int;
SELECT 1 / (NOT EXISTS (SELECT 1 FROM pg_catalog.pg_trigger
                        WHERE tgrelid = 'api.ai_requests'::regclass AND tgname LIKE 'ai_requests_count_usage%'))::int;
SELECT 1 / (NOT has_table_privilege('service_role', 'api.ai_usage', 'update'))::int;

ROLLBACK;

-- Verify taproot:app_ai_prices on pg
BEGIN;

SELECT provider, model, effective_from, input_per_mtok, output_per_mtok, cached_input_per_mtok,
       cache_write_per_mtok
FROM app.ai_prices WHERE false;
SELECT 1 / has_function_privilege('worker',
    'app.ai_cost(text, text, timestamptz, bigint, bigint, bigint, bigint)', 'execute')::int;
SELECT 1 / (NOT has_table_privilege('authenticated', 'app.ai_prices', 'insert'))::int;

ROLLBACK;

-- Verify taproot:reporting_ai_prices on pg
BEGIN;

SELECT provider, model, effective_from, effective_until, input_per_mtok, output_per_mtok,
       cached_input_per_mtok, cache_write_per_mtok
FROM reporting.ai_prices WHERE false;
SELECT 1 / has_table_privilege('analyst', 'reporting.ai_prices', 'select')::int;

ROLLBACK;

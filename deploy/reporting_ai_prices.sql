-- Deploy taproot:reporting_ai_prices to pg
-- requires: reporting_schema, app_ai_prices
-- The analyst reads model prices beside usage (prices are not secret; the analyst has no
-- access to schema app, so this owner-rights view is the way in).
BEGIN;

CREATE VIEW reporting.ai_prices AS
    SELECT p.provider, p.model, p.effective_from,
           lead(p.effective_from) OVER (PARTITION BY p.provider, p.model ORDER BY p.effective_from) AS effective_until,
           p.input_per_mtok, p.output_per_mtok,
           coalesce(p.cached_input_per_mtok, p.input_per_mtok) AS cached_input_per_mtok,
           coalesce(p.cache_write_per_mtok, p.input_per_mtok) AS cache_write_per_mtok
    FROM app.ai_prices p;
COMMENT ON VIEW reporting.ai_prices IS
    'AI model list prices in USD per million tokens, with the period each was in force';
GRANT SELECT ON reporting.ai_prices TO analyst;

COMMIT;

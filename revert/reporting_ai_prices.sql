-- Revert taproot:reporting_ai_prices from pg
BEGIN;

DROP VIEW reporting.ai_prices;

COMMIT;

-- Revert taproot:app_ai_prices from pg
BEGIN;

DROP FUNCTION app.ai_cost(text, text, timestamptz, bigint, bigint, bigint, bigint);
DROP TABLE app.ai_prices;

COMMIT;

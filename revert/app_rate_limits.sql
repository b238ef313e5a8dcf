-- Revert taproot:app_rate_limits from pg
BEGIN;

DROP FUNCTION app.debit_api_key_tokens(integer);
DROP FUNCTION app.take_api_key_rate(integer);
DROP FUNCTION app.prune_rate_limits();
DROP FUNCTION app.gcra_debit(text, double precision, double precision);
DROP FUNCTION app.gcra_take(text, double precision, double precision, double precision);
DROP TABLE app.rate_limits;

COMMIT;

-- Verify taproot:app_rate_limits on pg
BEGIN;

SELECT key, tat FROM app.rate_limits WHERE false;
SELECT 'app.gcra_take(text, double precision, double precision, double precision)'::regprocedure;
SELECT 'app.gcra_debit(text, double precision, double precision)'::regprocedure;
SELECT 'app.take_api_key_rate(integer)'::regprocedure;
SELECT 'app.debit_api_key_tokens(integer)'::regprocedure;
SELECT 'app.prune_rate_limits()'::regprocedure;

ROLLBACK;

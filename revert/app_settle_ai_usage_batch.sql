-- Revert taproot:app_settle_ai_usage_batch from pg
BEGIN;

DROP FUNCTION app.settle_ai_usage(bigint[]);

COMMIT;

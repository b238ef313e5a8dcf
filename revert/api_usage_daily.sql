-- Revert taproot:api_usage_daily from pg
BEGIN;

DROP FUNCTION app.check_token_quota(uuid);
DROP FUNCTION app.record_usage(uuid, integer, bigint, bigint, numeric, integer);
DROP TABLE api.usage_daily;

COMMIT;

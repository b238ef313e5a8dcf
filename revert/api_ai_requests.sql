-- Revert taproot:api_ai_requests from pg
BEGIN;

DROP TABLE api.ai_requests;
DROP FUNCTION app.count_ai_request_usage();
DROP FUNCTION app.advance_ai_request();
DROP FUNCTION app.prepare_ai_request();

COMMIT;

-- Revert taproot:app_request_context from pg
BEGIN;

DROP FUNCTION app.http_error(integer, text, text, text, text);
DROP FUNCTION app.current_session_id();
DROP FUNCTION app.current_user_id();

COMMIT;

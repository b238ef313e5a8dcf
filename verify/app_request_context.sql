-- Verify taproot:app_request_context on pg
BEGIN;

SELECT 1 / has_function_privilege('authenticated', 'app.current_user_id()', 'execute')::int;
SELECT 1 / has_function_privilege('authenticated', 'app.current_session_id()', 'execute')::int;
SELECT 1 / (NOT has_function_privilege('anon', 'app.http_error(integer, text, text, text, text)',
                                       'execute'))::int;

ROLLBACK;

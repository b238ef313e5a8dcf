-- Verify taproot:app_realtime on pg
BEGIN;

SELECT id, channels, event, data, recheck FROM app.realtime_feed WHERE false;
SELECT 1 / has_table_privilege('service_role', 'app.realtime_feed', 'select')::int;
SELECT 1 / (NOT has_table_privilege('authenticated', 'app.realtime_feed', 'select'))::int;
SELECT 1 / has_function_privilege('authenticated', 'app.realtime_channels(text[])', 'execute')::int;
SELECT 1 / (NOT has_function_privilege('anon', 'app.realtime_channels(text[])', 'execute'))::int;

ROLLBACK;

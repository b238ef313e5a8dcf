-- Verify taproot:app_events_rls on pg
BEGIN;

SELECT 1 / count(*) FROM pg_class
WHERE oid = 'app.events'::regclass AND relrowsecurity AND relforcerowsecurity;
SELECT 1 / (NOT has_table_privilege('authenticated', 'app.events', 'insert'))::int;

ROLLBACK;

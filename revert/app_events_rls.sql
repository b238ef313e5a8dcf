-- Revert taproot:app_events_rls from pg
BEGIN;

DROP POLICY "the worker reads all events" ON app.events;
DROP POLICY "the service role reads all events" ON app.events;
DROP POLICY "members read their workspaces' events" ON app.events;
REVOKE ALL ON app.events FROM authenticated, service_role, worker;
ALTER TABLE app.events NO FORCE ROW LEVEL SECURITY;
ALTER TABLE app.events DISABLE ROW LEVEL SECURITY;

COMMIT;

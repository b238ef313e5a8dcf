-- Deploy taproot:app_events_rls to pg
-- requires: app_events, app_permissions
-- Events are read by the real-time fan-out (as the worker, the service role, or on behalf
-- of a signed-in member); only definer triggers write them.
BEGIN;

ALTER TABLE app.events ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.events FORCE ROW LEVEL SECURITY;

GRANT SELECT ON app.events TO authenticated, service_role, worker;

CREATE POLICY "members read their workspaces' events" ON app.events
    FOR SELECT TO authenticated
    USING (workspace_id = ANY ((SELECT app.my_workspace_ids())::uuid[]));
CREATE POLICY "the service role reads all events" ON app.events
    FOR SELECT TO service_role USING (true);
CREATE POLICY "the worker reads all events" ON app.events
    FOR SELECT TO worker USING (true);

COMMIT;

-- Deploy taproot:api_users_rls to pg
-- requires: api_users, app_permissions
-- Grants and policies for profiles. Admins (of any workspace) may create profiles: that is
-- how a user is invited; they then add a membership. Anonymous callers have no privilege
-- at all (PostgREST answers 401).
BEGIN;

ALTER TABLE api.users ENABLE ROW LEVEL SECURITY;
ALTER TABLE api.users FORCE ROW LEVEL SECURITY;

GRANT SELECT, INSERT (email, name), UPDATE (name) ON api.users TO authenticated;
GRANT SELECT, INSERT, UPDATE, DELETE ON api.users TO service_role;

CREATE POLICY "users see themselves, their invitees and co-members" ON api.users
    FOR SELECT TO authenticated
    USING (id = (SELECT app.current_user_id())
           OR invited_by = (SELECT app.current_user_id())
           OR id = ANY ((SELECT app.co_member_ids())::uuid[]));
CREATE POLICY "workspace admins invite users" ON api.users
    FOR INSERT TO authenticated
    WITH CHECK ((SELECT app.is_admin_somewhere()) AND invited_by = (SELECT app.current_user_id()));
CREATE POLICY "users update their own profile" ON api.users
    FOR UPDATE TO authenticated
    USING (id = (SELECT app.current_user_id()))
    WITH CHECK (id = (SELECT app.current_user_id()));

CREATE POLICY "the service role reads all users" ON api.users
    FOR SELECT TO service_role USING (true);
CREATE POLICY "the service role creates users" ON api.users
    FOR INSERT TO service_role WITH CHECK (true);
CREATE POLICY "the service role updates users" ON api.users
    FOR UPDATE TO service_role USING (true) WITH CHECK (true);
CREATE POLICY "the service role deletes users" ON api.users
    FOR DELETE TO service_role USING (true);

COMMIT;

-- Deploy taproot:api_memberships_rls to pg
-- requires: api_memberships, app_permissions
-- Members see who else is in their workspaces. Admins and owners manage members; only
-- owners grant or take away the owner role; anyone may leave (except the last owner).
BEGIN;

ALTER TABLE api.memberships ENABLE ROW LEVEL SECURITY;
ALTER TABLE api.memberships FORCE ROW LEVEL SECURITY;

GRANT SELECT, INSERT (workspace_id, user_id, role), UPDATE (role), DELETE ON api.memberships
    TO authenticated;
GRANT SELECT, INSERT, UPDATE, DELETE ON api.memberships TO service_role;

CREATE POLICY "members see the members of their workspaces" ON api.memberships
    FOR SELECT TO authenticated
    USING (workspace_id = ANY ((SELECT app.my_workspace_ids())::uuid[]));
CREATE POLICY "admins add members, only owners add owners" ON api.memberships
    FOR INSERT TO authenticated
    WITH CHECK (workspace_id = ANY ((SELECT app.my_workspace_ids('{owner,admin}'))::uuid[])
                AND (role <> 'owner'
                     OR workspace_id = ANY ((SELECT app.my_workspace_ids('{owner}'))::uuid[])));
CREATE POLICY "admins change roles, only owners touch owners" ON api.memberships
    FOR UPDATE TO authenticated
    USING (workspace_id = ANY ((SELECT app.my_workspace_ids('{owner,admin}'))::uuid[])
           AND (role <> 'owner'
                OR workspace_id = ANY ((SELECT app.my_workspace_ids('{owner}'))::uuid[])))
    WITH CHECK (workspace_id = ANY ((SELECT app.my_workspace_ids('{owner,admin}'))::uuid[])
                AND (role <> 'owner'
                     OR workspace_id = ANY ((SELECT app.my_workspace_ids('{owner}'))::uuid[])));
CREATE POLICY "admins remove members and anyone may leave" ON api.memberships
    FOR DELETE TO authenticated
    USING (user_id = (SELECT app.current_user_id())
           OR (workspace_id = ANY ((SELECT app.my_workspace_ids('{owner,admin}'))::uuid[])
               AND (role <> 'owner'
                    OR workspace_id = ANY ((SELECT app.my_workspace_ids('{owner}'))::uuid[]))));

CREATE POLICY "the service role reads all memberships" ON api.memberships
    FOR SELECT TO service_role USING (true);
CREATE POLICY "the service role adds memberships" ON api.memberships
    FOR INSERT TO service_role WITH CHECK (true);
CREATE POLICY "the service role changes memberships" ON api.memberships
    FOR UPDATE TO service_role USING (true) WITH CHECK (true);
CREATE POLICY "the service role removes memberships" ON api.memberships
    FOR DELETE TO service_role USING (true);

COMMIT;

-- Revert taproot:api_memberships_rls from pg
BEGIN;

DROP POLICY "the service role removes memberships" ON api.memberships;
DROP POLICY "the service role changes memberships" ON api.memberships;
DROP POLICY "the service role adds memberships" ON api.memberships;
DROP POLICY "the service role reads all memberships" ON api.memberships;
DROP POLICY "admins remove members and anyone may leave" ON api.memberships;
DROP POLICY "admins change roles, only owners touch owners" ON api.memberships;
DROP POLICY "admins add members, only owners add owners" ON api.memberships;
DROP POLICY "members see the members of their workspaces" ON api.memberships;
REVOKE ALL ON api.memberships FROM authenticated, service_role;
ALTER TABLE api.memberships NO FORCE ROW LEVEL SECURITY;
ALTER TABLE api.memberships DISABLE ROW LEVEL SECURITY;

COMMIT;

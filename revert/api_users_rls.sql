-- Revert taproot:api_users_rls from pg
BEGIN;

DROP POLICY "the service role deletes users" ON api.users;
DROP POLICY "the service role updates users" ON api.users;
DROP POLICY "the service role creates users" ON api.users;
DROP POLICY "the service role reads all users" ON api.users;
DROP POLICY "users update their own profile" ON api.users;
DROP POLICY "workspace admins invite users" ON api.users;
DROP POLICY "users see themselves, their invitees and co-members" ON api.users;
REVOKE ALL ON api.users FROM authenticated, service_role;
ALTER TABLE api.users NO FORCE ROW LEVEL SECURITY;
ALTER TABLE api.users DISABLE ROW LEVEL SECURITY;

COMMIT;

-- GET /api/users?limit=10 stays on indexes with 100k users in 1,000 workspaces.
BEGIN;
SELECT plan(3);
SELECT tests.make_world();

SET LOCAL session_replication_role = replica;  -- bulk load without audit triggers
INSERT INTO api.users (id, email, name, invited_by)
SELECT md5('bulk user ' || i)::uuid, 'bulk' || i || '@example.test', 'Bulk ' || i, NULL
FROM generate_series(1, 100000) i;
INSERT INTO api.workspaces (id, name) SELECT md5('bulk ws ' || i)::uuid, 'Bulk ' || i FROM generate_series(1, 1000) i;
INSERT INTO api.memberships (workspace_id, user_id, role)
SELECT md5('bulk ws ' || (i % 1000 + 1))::uuid, md5('bulk user ' || i)::uuid, 'member'
FROM generate_series(1, 100000) i;
INSERT INTO api.memberships (workspace_id, user_id, role) VALUES (md5('bulk ws 1')::uuid, tests.uid('member_a'), 'member');
SET LOCAL session_replication_role = origin;
ANALYZE api.users;
ANALYZE api.memberships;

CREATE FUNCTION pg_temp.plan_of(statement text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    line text;
    plan text := '';
BEGIN
    FOR line IN EXECUTE 'EXPLAIN ' || statement LOOP
        plan := plan || line || E'\n';
    END LOOP;
    RETURN plan;
END
$$;
GRANT EXECUTE ON FUNCTION pg_temp.plan_of(text) TO authenticated;

SELECT tests.login_as('member_a');
SELECT diag(pg_temp.plan_of('SELECT * FROM api.users LIMIT 10'));
SELECT ok(pg_temp.plan_of('SELECT * FROM api.users LIMIT 10') !~ 'Seq Scan on users',
          'listing users never scans all 100k profiles');
SELECT ok(pg_temp.plan_of('SELECT * FROM api.users LIMIT 10') ~ 'Index',
          'it reads them through indexes');
SELECT is((SELECT count(*) FROM api.users), 104::bigint,
          'member_a sees the 4 people of A and the 100 of the bulk workspace');

SELECT * FROM finish();
ROLLBACK;

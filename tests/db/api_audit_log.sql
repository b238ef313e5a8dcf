-- api.audit_log: who reads which entries of the trail.
BEGIN;
SELECT plan(8);
SELECT tests.make_world();
SELECT app.audit('auth.login', NULL, 'users', tests.uid('member_a'), '{}', tests.uid('member_a'));
SELECT app.audit('auth.login', NULL, 'users', tests.uid('member_b'), '{}', tests.uid('member_b'));

SELECT tests.authenticate_as('anon');
SELECT throws_ok('SELECT * FROM api.audit_log', '42501', NULL, 'anon cannot read the audit log');
SELECT tests.login_as('member_a');
SELECT set_eq('SELECT action FROM api.audit_log', ARRAY['auth.login'], 'a member reads only their own auth events');
SELECT tests.login_as('admin_a');
SELECT ok((SELECT count(*) FROM api.audit_log WHERE action = 'memberships.created') = 4,
          'an admin reads the membership changes of A');
SELECT is((SELECT count(*) FROM api.audit_log WHERE workspace_id = tests.uid('workspace_b')), 0::bigint,
          'and nothing of B');
SELECT is((SELECT count(*) FROM api.audit_log WHERE action = 'auth.login'), 0::bigint,
          'nor other people''s logins');
SELECT throws_ok($$DELETE FROM api.audit_log$$, '42501', NULL, 'nobody erases the trail');
SELECT tests.authenticate_as('service_role');
SELECT ok((SELECT count(*) FROM api.audit_log) >= 10, 'the service role reads everything');
SELECT tests.authenticate_as('worker');
SELECT throws_ok('SELECT * FROM api.audit_log', '42501', NULL, 'the worker cannot read the audit log');

SELECT * FROM finish();
ROLLBACK;

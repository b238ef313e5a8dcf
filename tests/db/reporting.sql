-- The analyst: reads the reporting views (emails masked), writes nothing, and cannot reach
-- auth, raw app tables or secrets. Role settings: read-only and a statement timeout.
BEGIN;
SELECT plan(24);
SELECT tests.make_world();
SELECT auth.set_password(tests.uid('member_a'), 'a long password');
UPDATE api.ai_requests SET status = 'running' WHERE id = tests.uid('request_a1');
-- Record, then settle (into usage_daily), as the callers do.
SELECT app.settle_ai_usage(u.id)
FROM app.record_ai_usage(tests.uid('workspace_a'), tests.uid('request_a1'), NULL, 'job', 'openai', 'gpt-4o',
                         'gpt-4o', 10, 5, 0, 0, 0, false, false, 'ok', 100) u;
UPDATE api.ai_requests SET status = 'succeeded', result = 'ok', tokens_in = 10, tokens_out = 5, cost = 0.01
WHERE id = tests.uid('request_a1');
INSERT INTO app.audit_log (actor_id, actor_role, action) VALUES (tests.uid('owner_b'), 'authenticated', 'auth.login');
SELECT set_config('app.secrets_key', repeat('k', 32), true);
SELECT tests.authenticate_as('service_role');
SELECT api.set_provider_secret(tests.uid('workspace_a'), 'openai', 'sk-secret-value');
SELECT tests.clear_authentication();

SELECT ok((SELECT useconfig @> ARRAY['default_transaction_read_only=on'] FROM pg_user WHERE usename = 'analyst'),
          'the analyst''s sessions are read-only');
SELECT ok((SELECT useconfig @> ARRAY['statement_timeout=30s'] FROM pg_user WHERE usename = 'analyst'),
          'the analyst''s statements time out after 30s');

SET LOCAL ROLE analyst;
SELECT is((SELECT email_masked FROM reporting.users WHERE id = tests.uid('member_a')), 'm***@example.test',
          'emails are masked');
SELECT is((SELECT count(*) FROM reporting.users WHERE email_masked LIKE '%member_a%'), 0::bigint,
          'no full address leaks');
SELECT is((SELECT status FROM reporting.users WHERE id = tests.uid('member_a')), 'active', 'users with a password are active');
SELECT is((SELECT status FROM reporting.users WHERE id = tests.uid('viewer_a')), 'invited', 'users without are invited');
SELECT is((SELECT active_users FROM reporting.daily_active_users WHERE day = (now() AT TIME ZONE 'UTC')::date),
          3::bigint, 'daily active users count logins and AI requests (member_a, member_b, owner_b)');
SELECT is((SELECT requests FROM reporting.requests_by_status WHERE workspace_id = tests.uid('workspace_a') AND status = 'succeeded'),
          1::bigint, 'requests by status');
SELECT is((SELECT requests FROM reporting.request_latency WHERE model = 'demo-model'), 1::bigint,
          'latency percentiles cover finished requests');
SELECT ok((SELECT run_p50_ms >= 0 AND total_p99_ms >= run_p50_ms FROM reporting.request_latency WHERE model = 'demo-model'),
          'with sensible figures');
SELECT is((SELECT (tokens_total, cost)::text FROM reporting.usage_by_workspace WHERE workspace_id = tests.uid('workspace_a')),
          '(15,0.000075)', 'tokens and cost by workspace and day (from the usage ledger)');

SELECT throws_ok($$INSERT INTO reporting.users (id) VALUES (gen_random_uuid())$$, NULL, NULL,
                 'the analyst cannot write reporting views (no privilege, and they are not updatable)');
SELECT throws_ok('SELECT * FROM auth.credentials', '42501', NULL, 'the analyst cannot read password hashes');
SELECT throws_ok('SELECT * FROM auth.jwt_secret', '42501', NULL, 'nor the JWT secret');
SELECT throws_ok('SELECT auth.jwt_secret()', '42501', NULL, 'nor call auth.jwt_secret()');
SELECT throws_ok('SELECT * FROM app.provider_secrets', '42501', NULL, 'nor provider secrets');
SELECT throws_ok($$SELECT app.provider_secret(tests.uid('workspace_a'), 'openai')$$, '42501', NULL,
                 'nor decrypt them');
SELECT throws_ok('SELECT * FROM app.events', '42501', NULL, 'nor raw app tables (events)');
SELECT throws_ok('SELECT * FROM app.audit_log', '42501', NULL, 'nor the audit log');
SELECT throws_ok('SELECT * FROM api.users', '42501', NULL, 'nor unmasked profiles');
SELECT throws_ok($$SELECT api.login('member_a@example.test', 'a long password')$$, '42501', NULL,
                 'nor call the API''s functions');
RESET ROLE;

SELECT is(array_agg(c.relname::text ORDER BY c.relname), NULL, 'no reporting view exposes an email column')
FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'reporting' AND a.attname IN ('email', 'password_hash', 'ciphertext', 'secret') AND NOT a.attisdropped;
SELECT is(array_agg(c.relname::text ORDER BY c.relname), NULL, 'the analyst can read every reporting view')
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'reporting' AND c.relkind = 'v' AND NOT has_table_privilege('analyst', c.oid, 'SELECT');
SELECT is((SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = 'reporting' AND c.relkind = 'v'), 8::bigint, 'eight reporting views');

SELECT * FROM finish();
ROLLBACK;

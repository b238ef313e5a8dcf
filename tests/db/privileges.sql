-- Blanket properties of the whole schema, checked once: RLS everywhere, what anon and the
-- analyst can reach, and that every function clients call is meant for them.
BEGIN;
SELECT plan(9);

SELECT is(array_agg(c.oid::regclass::text ORDER BY 1), NULL,
          'every table in api, app and auth has row-level security enabled and forced')
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname IN ('api', 'app', 'auth') AND c.relkind IN ('r', 'p')
  AND NOT (c.relrowsecurity AND c.relforcerowsecurity);

SELECT set_eq($$SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
               WHERE n.nspname IN ('api', 'app', 'auth', 'reporting')
                 AND has_function_privilege('anon', p.oid, 'EXECUTE')$$,
              ARRAY['api.signup(text,text,text)', 'api.login(text,text)', 'api.refresh(text)',
                    'api.accept_invitation(text,text,text)', 'api.verify_email(text)',
                    'api.request_password_reset(text)', 'api.reset_password(text,text)',
                    'app.authenticate_api_key(text)'],
              'anon can call signup, login, refresh, the token routes (accept an invitation, verify an email, '
              'request and reset a password), and exchange an API key (the sidecar), and nothing else');

SELECT is(array_agg(c.oid::regclass::text ORDER BY 1), NULL, 'anon holds no privilege on any table or view')
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname IN ('api', 'app', 'auth', 'reporting') AND c.relkind IN ('r', 'v', 'm', 'p')
  AND (has_table_privilege('anon', c.oid, 'SELECT') OR has_table_privilege('anon', c.oid, 'INSERT')
       OR has_table_privilege('anon', c.oid, 'UPDATE') OR has_table_privilege('anon', c.oid, 'DELETE')
       OR has_any_column_privilege('anon', c.oid, 'SELECT, INSERT, UPDATE'));

SELECT is(array_agg(c.oid::regclass::text ORDER BY 1), NULL, 'no client role holds any privilege in schema auth')
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace, unnest(ARRAY['anon', 'authenticated', 'service_role', 'worker', 'analyst']) r
WHERE n.nspname = 'auth' AND has_any_column_privilege(r, c.oid, 'SELECT, INSERT, UPDATE, REFERENCES');

SELECT is(array_agg(p.oid::regprocedure::text ORDER BY 1), NULL,
          'no client role can call functions in schema auth')
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace, unnest(ARRAY['anon', 'authenticated', 'service_role', 'worker', 'analyst']) r
WHERE n.nspname = 'auth' AND has_function_privilege(r, p.oid, 'EXECUTE');

SELECT ok(NOT has_schema_privilege('analyst', 'app', 'USAGE') AND NOT has_schema_privilege('analyst', 'auth', 'USAGE')
          AND NOT has_schema_privilege('analyst', 'api', 'USAGE'), 'the analyst cannot enter api, app or auth');

SELECT is(array_agg(c.oid::regclass::text ORDER BY 1), NULL, 'the analyst can write nothing')
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname IN ('api', 'app', 'auth', 'reporting') AND c.relkind IN ('r', 'v', 'm', 'p')
  AND (has_table_privilege('analyst', c.oid, 'INSERT') OR has_table_privilege('analyst', c.oid, 'UPDATE')
       OR has_table_privilege('analyst', c.oid, 'DELETE') OR has_table_privilege('analyst', c.oid, 'TRUNCATE'));

SELECT is(array_agg(p.oid::regprocedure::text ORDER BY 1), NULL,
          'every SECURITY DEFINER function pins its search_path')
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname IN ('api', 'app', 'auth', 'reporting') AND p.prosecdef
  AND NOT EXISTS (SELECT 1 FROM unnest(p.proconfig) c WHERE c LIKE 'search_path=%');

SELECT is(array_agg(format('%s on %s', pol.polname, pol.polrelid::regclass) ORDER BY 1), NULL,
          'every policy covers exactly one command')
FROM pg_policy pol WHERE pol.polcmd = '*';

SELECT * FROM finish();
ROLLBACK;

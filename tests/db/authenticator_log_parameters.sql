-- Slow statements are logged, but never with their bind parameters (passwords, secrets, the
-- secrets key) for the sessions of authenticator, which the gateway, sidecar and workers use.
BEGIN;
SELECT plan(3);

SELECT is((SELECT array_agg(c ORDER BY c) FROM pg_catalog.pg_db_role_setting s
           JOIN pg_catalog.pg_database d ON d.oid = s.setdatabase AND d.datname = current_database(),
           unnest(s.setconfig) c
           WHERE s.setrole = 'authenticator'::regrole AND c LIKE 'log_parameter%'),
          ARRAY['log_parameter_max_length=0', 'log_parameter_max_length_on_error=0'],
          'authenticator''s sessions in this database log no parameter values');
SELECT is((SELECT context FROM pg_catalog.pg_settings WHERE name = 'log_parameter_max_length'), 'superuser',
          'and a session cannot change that back (superuser-only setting)');
SELECT ok(NOT (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = 'authenticator'),
          'authenticator is not a superuser');

SELECT * FROM finish();
ROLLBACK;

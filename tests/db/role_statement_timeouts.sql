-- anon and authenticated carry their own statement_timeout in this database.
BEGIN;
SELECT plan(2);

SELECT ok(EXISTS (SELECT FROM pg_catalog.pg_db_role_setting s JOIN pg_catalog.pg_database d ON d.oid = s.setdatabase
                  WHERE d.datname = current_database() AND s.setrole = 'anon'::regrole
                    AND 'statement_timeout=5s' = ANY (s.setconfig)), 'anon: 5 s');
SELECT ok(EXISTS (SELECT FROM pg_catalog.pg_db_role_setting s JOIN pg_catalog.pg_database d ON d.oid = s.setdatabase
                  WHERE d.datname = current_database() AND s.setrole = 'authenticated'::regrole
                    AND 'statement_timeout=10s' = ANY (s.setconfig)), 'authenticated: 10 s');

SELECT * FROM finish();
ROLLBACK;

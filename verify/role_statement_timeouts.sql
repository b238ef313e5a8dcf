-- Verify taproot:role_statement_timeouts on pg
BEGIN;

SELECT 1/pg_catalog.count(*)::int FROM pg_catalog.pg_db_role_setting s
 JOIN pg_catalog.pg_database d ON d.oid = s.setdatabase AND d.datname = pg_catalog.current_database()
 WHERE s.setrole = 'anon'::regrole AND 'statement_timeout=5s' = ANY (s.setconfig);
SELECT 1/pg_catalog.count(*)::int FROM pg_catalog.pg_db_role_setting s
 JOIN pg_catalog.pg_database d ON d.oid = s.setdatabase AND d.datname = pg_catalog.current_database()
 WHERE s.setrole = 'authenticated'::regrole AND 'statement_timeout=10s' = ANY (s.setconfig);

ROLLBACK;

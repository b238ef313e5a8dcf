-- Verify taproot:authenticator_log_parameters on pg
BEGIN;

SELECT 1 / (SELECT count(*) FROM pg_catalog.pg_db_role_setting s
            JOIN pg_catalog.pg_database d ON d.oid = s.setdatabase AND d.datname = current_database()
            WHERE s.setrole = 'authenticator'::regrole
              AND s.setconfig @> ARRAY['log_parameter_max_length=0', 'log_parameter_max_length_on_error=0'])::int;

ROLLBACK;

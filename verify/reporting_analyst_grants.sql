-- Verify taproot:reporting_analyst_grants on pg
BEGIN;

SELECT 1 / (NOT has_database_privilege('analyst', current_database(), 'TEMPORARY'))::int;
SELECT 1 / has_database_privilege('authenticated', current_database(), 'TEMPORARY')::int;

ROLLBACK;

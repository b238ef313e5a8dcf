-- Revert taproot:reporting_users from pg
BEGIN;

DROP VIEW reporting.users;

COMMIT;

-- Revert taproot:reporting_daily_active_users from pg
BEGIN;

DROP VIEW reporting.daily_active_users;

COMMIT;

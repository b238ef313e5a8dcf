-- Verify taproot:reporting_daily_active_users on pg
BEGIN;

SELECT day, active_users FROM reporting.daily_active_users WHERE false;

ROLLBACK;

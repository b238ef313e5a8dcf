-- Revert taproot:ratelimit_check from pg
BEGIN;

DELETE FROM app.rate_limits WHERE key LIKE 'rl:%';
DROP FUNCTION ratelimit.check(text, double precision, double precision, double precision);
DROP SCHEMA ratelimit;

COMMIT;

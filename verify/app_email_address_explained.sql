-- Verify taproot:app_email_address_explained on pg
BEGIN;

SELECT 1 / count(*)::int FROM pg_catalog.pg_constraint
WHERE contypid = 'app.email_address'::regtype AND conname = 'email_address_explained';
SELECT app.explain_email_address('someone@example.com') WHERE false;

ROLLBACK;

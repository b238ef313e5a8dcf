-- Revert taproot:app_email_domain from pg
BEGIN;

DROP DOMAIN app.email_address;

COMMIT;

-- Revert taproot:app_email_address_explained from pg
BEGIN;

ALTER DOMAIN app.email_address DROP CONSTRAINT email_address_explained;
DROP FUNCTION app.explain_email_address(text);

COMMIT;

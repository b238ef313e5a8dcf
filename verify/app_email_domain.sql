-- Verify taproot:app_email_domain on pg
BEGIN;

SELECT 'app.email_address'::regtype;
SELECT 'Someone@Example.com'::app.email_address WHERE false;

ROLLBACK;

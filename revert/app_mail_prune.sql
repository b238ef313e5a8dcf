-- Revert taproot:app_mail_prune from pg
BEGIN;

DROP FUNCTION app.prune_mail(interval);

COMMIT;

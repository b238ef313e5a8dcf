-- Revert taproot:app_mail from pg
BEGIN;

DROP FUNCTION app.finish_mail(bigint, text, text);
DROP FUNCTION app.claim_mail(bigint);
DROP FUNCTION app.queue_mail(text, text, jsonb);
DROP TABLE app.mail_messages;

COMMIT;

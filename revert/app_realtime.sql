-- Revert taproot:app_realtime from pg
BEGIN;

DROP FUNCTION app.realtime_channels(text[]);
DROP VIEW app.realtime_feed;

COMMIT;

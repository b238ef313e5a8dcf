-- Revert taproot:app_touch_updated_at from pg
BEGIN;

DROP FUNCTION app.touch_updated_at();

COMMIT;

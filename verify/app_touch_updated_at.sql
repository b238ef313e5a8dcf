-- Verify taproot:app_touch_updated_at on pg
BEGIN;

SELECT 'app.touch_updated_at()'::regprocedure;

ROLLBACK;

-- Deploy taproot:app_touch_updated_at to pg
-- requires: app_schema
BEGIN;

CREATE FUNCTION app.touch_updated_at()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = ''
AS $$
BEGIN
    NEW.updated_at := pg_catalog.now();
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION app.touch_updated_at() IS 'BEFORE UPDATE trigger: keep updated_at current';

COMMIT;

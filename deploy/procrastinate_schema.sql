-- Deploy taproot:procrastinate_schema to pg
-- The Procrastinate job queue (tables, types, functions, triggers) in its own schema.
-- The SQL is Procrastinate's own, loaded from the installed package at deploy time: sqitch
-- receives its path as the variable procrastinate_schema_sql (set by `taproot migrate`, see
-- taproot/database.py), so the repository never holds a copy. Procrastinate's objects do
-- not qualify names, so they are created with search_path = procrastinate and whatever
-- calls them must have procrastinate on its path (app.defer_job pins it; the worker's
-- connections set it).
BEGIN;

CREATE SCHEMA procrastinate;
COMMENT ON SCHEMA procrastinate IS 'The Procrastinate job queue (schema.sql of the pinned Procrastinate release)';
SET LOCAL search_path = procrastinate, pg_catalog;
\i :procrastinate_schema_sql

COMMIT;
